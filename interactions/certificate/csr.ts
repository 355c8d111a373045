// A certificate signing request from the browser (PKCS#10, read by node-forge): one PEM block, an RSA
// key of 2048 to 4096 bits with exponent 65537, a signature its own key verifies (the sender holds
// the private key), and exactly the subject the activation asked for.
import { createHash, createPublicKey } from 'node:crypto';
import forge from 'node-forge';

export type CsrProblem = 'csr_malformed' | 'csr_key_type' | 'csr_key_weak' | 'csr_signature' | 'csr_subject';

export const CSR_MAX_CHARS = 12_000;
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

/** Subject attributes as the CA writes them, by node-forge's names (commonName, serialNumber...), in order. */
export type SubjectSpec = { name: string; value: string }[];

export type CsrResult =
  | { ok: true; publicKey: forge.pki.rsa.PublicKey; keyFingerprint: string }
  | { ok: false; problem: CsrProblem };

/** SHA-256 of the SubjectPublicKeyInfo (to recognise a key certified before). */
export function keyFingerprint(publicKeyPem: string): string {
  return createHash('sha256').update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
}

function subjectOf(csr: forge.pki.CertificateSigningRequest): string[] {
  return csr.subject.attributes.map((a) => `${a.name ?? a.type}=${String(a.value)}`);
}

export function readCsr(pem: unknown, expected: SubjectSpec): CsrResult {
  if (typeof pem !== 'string' || pem.length > CSR_MAX_CHARS) return { ok: false, problem: 'csr_malformed' };
  const blocks = pem.match(/-----BEGIN CERTIFICATE REQUEST-----/g)?.length ?? 0;
  if (blocks !== 1 || !/^\s*-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\s*$/.test(pem)) {
    return { ok: false, problem: 'csr_malformed' };
  }
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(pem, true, true);
  } catch (err) {
    return { ok: false, problem: /not RSA/.test((err as Error).message) ? 'csr_key_type' : 'csr_malformed' };
  }
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key?.n || !key.e) return { ok: false, problem: 'csr_key_type' };
  const bits = key.n.bitLength();
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || key.e.toString(10) !== '65537') return { ok: false, problem: 'csr_key_weak' };
  let verified = false;
  try { verified = csr.verify(); } catch { verified = false; }
  if (!verified) return { ok: false, problem: 'csr_signature' };
  const want = expected.map((a) => `${a.name}=${a.value}`);
  const got = subjectOf(csr);
  if (got.length !== want.length || got.some((g, i) => g !== want[i])) return { ok: false, problem: 'csr_subject' };
  return { ok: true, publicKey: key, keyFingerprint: keyFingerprint(forge.pki.publicKeyToPem(key)) };
}
