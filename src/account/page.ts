// Rendering an account or administration page with a message: the page's locale is chosen as the
// account pages do, and the message (a locale key) is translated into it.
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { chooseLocale } from '../http/i18n.ts';
import { noteErrorField } from '../http/request-context.ts';
import type { AccountSession } from './session.ts';

export interface PageMessages {
  error?: string;
  errorParams?: Record<string, string | number>;
  /** Locale key of the field the error is about, put in front of the message. */
  errorField?: string;
  notice?: string;
  noticeParams?: Record<string, string | number>;
  status?: number;
}

/** The language of a page outside the login: ?ui_locales=, else Accept-Language. */
export function pageLocale(ctx: Koa.Context): string {
  return chooseLocale(typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined, ctx.get('accept-language'));
}

/** A page outside the login, with the signed-in user's form token and account when there is one. */
export function renderAccountPage(ctx: Koa.Context, s: Services, view: string, session: AccountSession | undefined, data: Record<string, unknown> = {}, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = s.views.render(view, pageLocale(ctx), {
    ...data,
    ...(session ? { csrf: session.csrf, account: session.account } : {}),
    logout: `${s.config.issuer}/session/end`,
  });
}

/** renderAccountPage with its messages given as locale keys (an error means 400 unless told). */
export function showPage(ctx: Koa.Context, s: Services, session: AccountSession | undefined, view: string, data: Record<string, unknown>, m: PageMessages = {}): void {
  const locale = pageLocale(ctx);
  const t = (key: string, params?: Record<string, string | number>) => s.views.strings.t(locale, key, params);
  const error = m.error ? t(m.error, m.errorParams) : undefined;
  if (error && typeof m.errorParams?.field === 'string') noteErrorField(m.errorParams.field);
  renderAccountPage(ctx, s, view, session, {
    ...data,
    error: error && m.errorField ? `${t(m.errorField)}: ${error}` : error,
    notice: m.notice ? t(m.notice, m.noticeParams) : undefined,
  }, m.status ?? (m.error ? 400 : 200));
}

/** A posted form's body (after formBody). */
export function postedForm(ctx: Koa.Context): Record<string, unknown> {
  return (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
}

/** Checkboxes: none, one or several values of one name; bounded. */
export const checkboxes = z.union([z.string().max(64), z.array(z.string().max(64)).max(500)], { error: 'form.invalid' })
  .optional().transform((v) => (v === undefined ? [] : [v].flat()));
