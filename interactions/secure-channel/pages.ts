// Rendering of the member area's own pages (contact change, channel reset, forgot password, back
// office): the shared layout, strings in the visitor's language, messages by locale key.
import type Koa from 'koa';
import { pageLocale, showPage } from '../../src/self-service/page.ts';
import type { Services } from '../../src/services.ts';
import { FormError } from '../../src/http/form.ts';
import { checkCsrf } from '../../src/http/csrf.ts';
import { readMultipart } from '../../src/http/multipart.ts';
import { sniffDocumentType, type DocumentType } from '../../src/documents/sniff.ts';

export interface PageData extends Record<string, unknown> {
  error?: string;
  errorParams?: Record<string, string | number>;
  notice?: string;
  noticeParams?: Record<string, string | number>;
}

export { pageLocale };

export function renderPage(ctx: Koa.Context, s: Services, view: string, data: PageData, status = 200): void {
  const { error, errorParams, notice, noticeParams, ...rest } = data;
  showPage(ctx, s, undefined, view, rest, { error, errorParams, notice, noticeParams, status });
}

export interface DocumentForm { fields: Record<string, string>; document: { data: Buffer; type: DocumentType } }

/**
 * A multipart form with one identity document: size-limited, the form's token checked before anything
 * else is looked at, the document's type sniffed from its bytes.
 */
export async function readDocumentForm(ctx: Koa.Context, s: Services): Promise<DocumentForm> {
  const upload = await readMultipart(ctx, { maxFileBytes: s.config.documents.maxBytes, fileField: 'document' });
  ctx.request.body = upload.fields;
  checkCsrf(ctx, s.sealer);
  if (!upload.file) throw new FormError(400, 'document.missing');
  const type = sniffDocumentType(upload.file.data);
  if (!type) throw new FormError(415, 'document.wrong_type');
  return { fields: upload.fields, document: { data: upload.file.data, type } };
}

/** The size limit, for messages. */
export function maxMegabytes(s: Services): string {
  return (s.config.documents.maxBytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
}
