// Posted forms: read only on our own routes (never in front of the provider's endpoints: it would
// consume the token request's body), size-limited, urlencoded (or, where a page script posts, a JSON
// object), decoded strictly. A body a browser could not have sent (broken %-escapes, raw non-ASCII
// bytes) is refused before any logic.
import getRawBody from 'raw-body';
import type Koa from 'koa';
import { z } from 'zod';
import { FormError } from '../errors.ts';
import { noteErrorField } from './page-context.ts';

export type FormBody = Record<string, string | string[]>;

declare module 'koa' {
  interface Request {
    /** The posted body, once formBody (or the multipart reader) has read it. */
    body?: Record<string, unknown>;
  }
}

export { FormError };

/** Parses application/x-www-form-urlencoded; repeated names become arrays (which schemas refuse). */
export function parseUrlEncoded(raw: string): FormBody {
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]/.test(raw)) throw new FormError(400, 'error.form_garbled');
  const out: FormBody = Object.create(null) as FormBody;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw new FormError(400, 'error.form_garbled');
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** `json`: also take a JSON object (a page script talking to a step, e.g. WebAuthn). */
export function formBody(limitBytes: number, opts: { json?: boolean } = {}): Koa.Middleware {
  return async (ctx, next) => {
    const json = opts.json === true && ctx.is('application/json') !== false;
    if (!json && !ctx.is('application/x-www-form-urlencoded')) throw new FormError(415, 'error.form_type');
    let raw: string;
    try {
      raw = await getRawBody(ctx.req, { limit: limitBytes, length: ctx.get('content-length') || undefined, encoding: json ? 'utf8' : 'latin1' });
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      throw new FormError(status === 413 ? 413 : 400, status === 413 ? 'error.too_large' : 'error.bad_request');
    }
    ctx.request.body = json ? parseJsonObject(raw) : parseUrlEncoded(raw);
    return next();
  };
}

function parseJsonObject(raw: string): Record<string, unknown> {
  let value: unknown;
  try { value = JSON.parse(raw); } catch { throw new FormError(400, 'error.form_garbled'); }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormError(400, 'error.form_garbled');
  return value as Record<string, unknown>;
}

/** A required text field, bounded, with a locale key as its message. */
export const field = (max: number, message = 'form.invalid') =>
  z.string({ error: message }).max(max, { error: 'form.too_long' });

/** The first problem of a form as a locale key and the field's name (also noted for the page). */
export function describeFormError(err: z.ZodError): { key: string; params: Record<string, string> } {
  const issue = err.issues[0];
  const fieldName = issue?.path.join('.') || 'form';
  const message = issue?.message ?? '';
  // The page shown with this error marks that field (aria-invalid, aria-describedby).
  noteErrorField(issue?.path.length ? fieldName : undefined);
  // Messages that look like locale keys ("identify.fiscal_code_invalid") are shown as they are.
  if (/^[a-z_]+(\.[a-z0-9_]+)+$/.test(message)) return { key: message, params: { field: fieldName } };
  return { key: 'form.invalid', params: { field: fieldName } };
}
