// The way back from the public help pages (forgotten password, channel reset, member code) to the
// login they were opened from: the login's links carry ?back=/interaction/UID, kept in a cookie for
// as long as a login may take; the pages' last step offers "Back to signing in" while that login is
// still alive, and "Sign in" (the account area) otherwise.
import type Koa from 'koa';
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';

const COOKIE = 'idp_return';
const INTERACTION = /^\/interaction\/[A-Za-z0-9_-]{1,64}$/;

export interface ReturnLink { href: string; label: string }

/** On a public page's GET: remembers the login it was opened from. */
export function rememberReturn(ctx: Koa.Context, ttlSeconds: number): void {
  const back = ctx.query.back;
  if (typeof back !== 'string' || !INTERACTION.test(back)) return;
  ctx.cookies.set(COOKIE, back, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: ttlSeconds * 1000, overwrite: true, path: '/' });
}

/** "Back to signing in" when the login is still going, else "Sign in". */
export async function signInLink(ctx: Koa.Context, redis: Redis): Promise<ReturnLink> {
  const back = ctx.cookies.get(COOKIE);
  if (back && INTERACTION.test(back) && (await redis.exists(keys.flow(back.slice('/interaction/'.length)))) === 1) {
    return { href: back, label: 'app.back_to_sign_in' };
  }
  return { href: '/account', label: 'app.sign_in' };
}
