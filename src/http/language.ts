// The language switch on every page: /language/en?back=/path sets a cookie with the choice and goes
// back to the page. From then on the choice counts as the browser's first language (it replaces
// Accept-Language for this server), so every page, message and new login follows it; a login in
// progress switches at once. A client's ui_locales still decides at the start of a login.
import type Koa from 'koa';
import { LOCALES, type Locale } from './i18n.ts';

export const LANGUAGE_COOKIE = 'idp_lang';
export const ONE_YEAR_MS = 365 * 86_400_000;
// A path on this server (not //host, not a scheme), printable ASCII only.
export const LOCAL_PATH = /^\/(?![/\\])[\x21-\x7e]{0,2000}$/;
export const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/;
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)+$/;

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);

/** Makes the language chosen with the switch the request's Accept-Language. */
export function languagePreference(): Koa.Middleware {
  return (ctx, next) => {
    const chosen = ctx.cookies.get(LANGUAGE_COOKIE);
    if (isLocale(chosen)) ctx.request.headers['accept-language'] = chosen;
    return next();
  };
}

/** Where the switch on a page leads back to: the page itself (a GET of it). */
export function backPath(ctx: Koa.Context): string {
  // A plain path (no query, nothing a URL parser would rewrite) is its own way back.
  if (ctx.method === 'GET' && PLAIN_PATH.test(ctx.originalUrl)) return ctx.originalUrl;
  if (ctx.method === 'GET') {
    const url = new URL(ctx.originalUrl, 'http://x');
    url.searchParams.delete('ui_locales');
    return url.pathname + url.search;
  }
  // A posted form's page is shown again by a GET of the same address (a login step, an account page);
  // the login's own sub-actions go back to the login.
  return ctx.path.replace(/^(\/interaction\/[^/]+)\/.*$/, '$1');
}
