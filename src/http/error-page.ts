// The last word on errors from our own routes: a page with a clear message and the right status,
// never a stack trace. Redis unreachable is a 503; an unknown or expired interaction a "start again".
import type Koa from 'koa';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../store/redis.ts';
import { PageError } from '../errors.ts';
import { chooseLocale } from './i18n.ts';
import type { Views } from './views.ts';

const BY_STATUS: Record<number, string> = {
  400: 'error.bad_request', 403: 'error.forbidden', 404: 'error.not_found', 405: 'error.bad_request',
  413: 'error.too_large', 415: 'error.form_type', 429: 'error.too_many_attempts', 503: 'error.unavailable',
};

export function describeError(err: unknown): { status: number; key: string } {
  if (err instanceof PageError) return { status: err.status, key: err.key };
  if (isStoreUnavailable(err)) return { status: 503, key: 'error.unavailable' };
  const e = err as { name?: string; status?: number; statusCode?: number; expose?: boolean; message?: string };
  if (e.name === 'SessionNotFound') return { status: 400, key: 'error.session_not_found' };
  const status = e.status ?? e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const key = e.message && /^error\.[a-z_]+$/.test(e.message) ? e.message : BY_STATUS[status] ?? 'error.bad_request';
    return { status, key };
  }
  return { status: 500, key: 'error.unexpected' };
}

export function errorPage(views: Views, log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404);
    } catch (err) {
      const { status, key } = describeError(err);
      if (status >= 500) log.error({ err, path: ctx.path }, 'request failed');
      const locale = chooseLocale(undefined, ctx.get('accept-language'));
      ctx.status = status;
      ctx.set('cache-control', 'no-store');
      if (ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: key.replace(/^error\./, ''), error_description: views.strings.t('en', key) };
        return;
      }
      ctx.type = 'html';
      const startAgain = key === 'error.session_not_found' || key === 'error.session_idle' || key === 'error.csrf';
      ctx.body = views.render('views/message', locale, {
        title: `${key}.title`,
        error: views.strings.t(locale, key),
        startAgain,
        // No dead end: every other error page leads somewhere (the account page signs in first).
        links: startAgain ? [] : [{ href: '/account', label: 'error.home.link' }],
      });
    }
  };
}
