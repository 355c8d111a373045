// multipart/form-data, read only on the routes that take an upload (busboy, with limits): a few
// short text fields and at most one file, held in memory up to the configured size. Anything else
// is refused with a 4xx before any logic runs.
import busboy from 'busboy';
import type Koa from 'koa';
import { FormError } from './form.ts';

export interface Upload {
  fields: Record<string, string>;
  file?: { field: string; filename: string; data: Buffer };
}

export async function readMultipart(ctx: Koa.Context, opts: { maxFileBytes: number; fileField: string }): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) throw new FormError(415, 'error.form_type_upload');
  const declared = Number(ctx.get('content-length') || 0);
  // Far too large to be one document and a few fields: refuse without reading it.
  if (declared > opts.maxFileBytes + 1024 * 1024) {
    ctx.set('connection', 'close');
    throw new FormError(413, 'error.document_too_large');
  }
  return new Promise<Upload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: ctx.req.headers,
        limits: { fileSize: opts.maxFileBytes, files: 1, fields: 20, fieldSize: 2048, parts: 22, fieldNameSize: 64 },
      });
    } catch {
      reject(new FormError(400, 'error.bad_request'));
      return;
    }
    const upload: Upload = { fields: Object.create(null) as Record<string, string> };
    let problem: FormError | undefined;
    const fail = (e: FormError) => { problem ??= e; };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated || info.nameTruncated) fail(new FormError(400, 'error.bad_request'));
      else if (name in upload.fields) fail(new FormError(400, 'error.bad_request'));
      else upload.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      // A body cut off inside the file errors this stream: unhandled, it would end the process.
      stream.on('error', () => reject(problem ?? new FormError(400, 'error.bad_request')));
      if (name !== opts.fileField || upload.file) {
        fail(new FormError(400, 'error.bad_request'));
        stream.resume();
        return;
      }
      stream.on('data', (c: Buffer) => { size += c.length; chunks.push(c); });
      stream.on('limit', () => fail(new FormError(413, 'error.document_too_large')));
      stream.on('end', () => {
        if (size > 0) upload.file = { field: name, filename: info.filename ?? '', data: Buffer.concat(chunks) };
      });
    });
    parser.on('filesLimit', () => fail(new FormError(400, 'error.bad_request')));
    parser.on('fieldsLimit', () => fail(new FormError(400, 'error.bad_request')));
    parser.on('partsLimit', () => fail(new FormError(400, 'error.bad_request')));
    parser.on('error', () => reject(problem ?? new FormError(400, 'error.bad_request')));
    parser.on('close', () => (problem ? reject(problem) : resolve(upload)));
    ctx.req.on('error', () => reject(new FormError(400, 'error.bad_request')));
    ctx.req.on('aborted', () => reject(new FormError(400, 'error.bad_request')));
    ctx.req.pipe(parser);
  });
}
