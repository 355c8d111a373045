// CSRF for the pages reached without a session (channel reset, forgot password): a random id in an
// HttpOnly SameSite=Strict cookie, and in the form a MAC of it under DATA_KEY. The id also names
// the page flow's state in Redis.
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/safe-equal.ts';
import type Koa from 'koa';
import type { Services } from '../services.ts';

const COOKIE = 'idp_public';
const ID = /^[A-Za-z0-9_-]{32}$/;

/** The browser's public-flow id; a new one (and its cookie) when it has none. */
export function publicFlowId(ctx: Koa.Context): string {
  const current = ctx.cookies.get(COOKIE);
  if (current && ID.test(current)) return current;
  const id = randomBytes(24).toString('base64url');
  ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, signed: false, overwrite: true, path: '/' });
  return id;
}

export function publicCsrf(s: Services, id: string): string {
  return s.sealer.mac(id, 'public-csrf');
}

/** The flow id when the posted csrf matches the cookie; otherwise a 403. */
export function checkPublicCsrf(ctx: Koa.Context, s: Services, sent: unknown): string {
  const id = ctx.cookies.get(COOKIE);
  if (!id || !ID.test(id) || typeof sent !== 'string') ctx.throw(403, 'error.csrf');
  if (!safeEqual(sent, publicCsrf(s, id))) ctx.throw(403, 'error.csrf');
  return id;
}

export { safeEqual };
