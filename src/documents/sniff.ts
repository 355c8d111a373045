// The type of an uploaded document, from its first bytes: what the browser or the file name claims
// is not trusted. Only PDF, JPEG and PNG are accepted.
export type DocumentType = 'application/pdf' | 'image/jpeg' | 'image/png';

const SIGNATURES: { type: DocumentType; bytes: number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },               // %PDF-
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

export function sniffDocumentType(data: Buffer): DocumentType | undefined {
  return SIGNATURES.find((s) => data.length > s.bytes.length && s.bytes.every((b, i) => data[i] === b))?.type;
}

export const EXTENSION: Record<DocumentType, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png' };
