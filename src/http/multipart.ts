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

/** How much of an oversized upload is read (and thrown away) before the answer. */
function drainBound(maxFileBytes: number): number {
  return 4 * maxFileBytes + 4 * 1024 * 1024;
}

/** Reads the body to its end, keeping nothing; false when it is longer than `bound` or takes over 30 s. */
function drain(ctx: Koa.Context, bound: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const req = ctx.req;
    const timer = setTimeout(() => finish(false), 30_000);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      if (!ok) req.pause();
      resolve(ok);
    };
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > bound) finish(false);
    });
    req.once('end', () => finish(true));
    req.once('error', () => finish(false));
    req.once('aborted', () => finish(false));
  });
}

export async function readMultipart(ctx: Koa.Context, opts: { maxFileBytes: number; fileField: string }): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) throw new FormError(415, 'error.form_type_upload');
  const declared = Number(ctx.get('content-length') || 0);
  // Far too large to be one document and a few fields: refused without keeping it, but read to its
  // end first (up to a bound), so that the browser gets the page rather than a reset connection.
  if (declared > opts.maxFileBytes + 1024 * 1024) {
    if (!(await drain(ctx, drainBound(opts.maxFileBytes)))) ctx.set('connection', 'close');
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
    // A body that goes on far past the limit (undeclared size) is cut: busboy would read it all.
    let total = 0;
    const bound = drainBound(opts.maxFileBytes);
    ctx.req.on('data', (c: Buffer) => {
      total += c.length;
      if (total <= bound) return;
      ctx.set('connection', 'close');
      ctx.req.unpipe(parser);
      ctx.req.pause();
      reject(new FormError(413, 'error.document_too_large'));
    });
    ctx.req.on('error', () => reject(new FormError(400, 'error.bad_request')));
    ctx.req.on('aborted', () => reject(new FormError(400, 'error.bad_request')));
    ctx.req.pipe(parser);
  });
}
