// Posted forms: parsed only on our own routes (never in front of the provider's endpoints), size-
// limited, urlencoded only; schema failures become one clear message naming the field.
import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';
import { z } from 'zod';

export function formBody(limitBytes: number): Koa.Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: limitBytes, encoding: 'utf-8' });
  return async (ctx, next) => {
    if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'error.form_type');
    return parse(ctx, next);
  };
}

/** A required text field: trimmed, bounded, with a locale key as its message. */
export const field = (max: number, message = 'form.invalid') =>
  z.string({ error: message }).max(max, { error: 'form.too_long' });

export function describeFormError(err: z.ZodError): { key: string; params: Record<string, string> } {
  const issue = err.issues[0];
  const fieldName = issue?.path.join('.') || 'form';
  const message = issue?.message ?? '';
  // Messages that look like locale keys ("identify.fiscal_code_invalid") are shown as they are.
  if (/^[a-z_]+(\.[a-z0-9_]+)+$/.test(message)) return { key: message, params: { field: fieldName } };
  return { key: 'form.invalid', params: { field: fieldName } };
}
