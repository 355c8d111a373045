// One way to render a page of ours: the shared layout, the page's language, its messages given as
// locale keys and translated here, the browser's form token, no caching. The login steps, the
// self-service, company and back-office pages and the public pages all come through here.
import type Koa from 'koa';
import type { Services } from '../services.ts';
import { csrfToken } from './csrf.ts';
import { chooseLocale } from './i18n.ts';
import { noteErrorField } from './page-context.ts';

export interface PageMessages {
  error?: string;
  errorParams?: Record<string, string | number>;
  /** Locale key of the field the error is about, put in front of the message. */
  errorField?: string;
  notice?: string;
  noticeParams?: Record<string, string | number>;
  /** Default: 400 with an error, else 200. */
  status?: number;
  /** Default: the visitor's (pageLocale). */
  locale?: string;
}

/** The language of a page outside the login: ?ui_locales=, else Accept-Language. */
export function pageLocale(ctx: Koa.Context): string {
  return chooseLocale(typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined, ctx.get('accept-language'));
}

export function render(ctx: Koa.Context, s: Pick<Services, 'views' | 'sealer' | 'config'>, view: string, data: Record<string, unknown> = {}, m: PageMessages = {}): void {
  const locale = m.locale ?? pageLocale(ctx);
  const t = (key: string, params?: Record<string, string | number>) => s.views.strings.t(locale, key, params);
  const error = m.error ? t(m.error, m.errorParams) : undefined;
  // The field the error is about, for the page's aria-invalid and aria-describedby.
  if (error && typeof m.errorParams?.field === 'string') noteErrorField(m.errorParams.field);
  ctx.status = m.status ?? (m.error ? 400 : 200);
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = s.views.render(view, locale, {
    logout: `${s.config.issuer}/session/end`,
    ...data,
    csrf: csrfToken(ctx, s.sealer),
    error: error && m.errorField ? `${t(m.errorField)}: ${error}` : error,
    notice: m.notice ? t(m.notice, m.noticeParams) : undefined,
  });
}
