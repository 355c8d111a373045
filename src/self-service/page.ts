// A self-service, company or back-office page: the one render helper (src/http/render.ts) with the
// signed-in account beside the data.
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { pageLocale, render, type PageMessages } from '../http/render.ts';
import type { AccountSession } from './session.ts';

export { pageLocale, type PageMessages };

/** A page with its messages given as locale keys (an error means 400 unless told). */
export function showPage(ctx: Koa.Context, s: Services, session: AccountSession | undefined, view: string, data: Record<string, unknown> = {}, m: PageMessages = {}): void {
  render(ctx, s, view, session ? { ...data, account: session.account } : data, m);
}

/** A posted form's body (after formBody). */
export function postedForm(ctx: Koa.Context): Record<string, unknown> {
  return ctx.request.body ?? {};
}

/** Checkboxes: none, one or several values of one name; bounded. */
export const checkboxes = z.union([z.string().max(64), z.array(z.string().max(64)).max(500)], { error: 'form.invalid' })
  .optional().transform((v) => (v === undefined ? [] : [v].flat()));
