// One CSRF defence for every form of the product (login steps, self-service, company administration,
// back office, public pages): a random id in an HttpOnly SameSite=Lax cookie, and in each form a MAC
// of it under DATA_KEY. Posts are checked by one middleware (or, for an upload, right after its
// fields are read and before its file is looked at). Nothing is stored: any process can check it.
import { randomFillSync } from 'node:crypto';
import type Koa from 'koa';
import { safeEqual } from '../crypto/safe-equal.ts';
import { FormError } from '../errors.ts';
import type { Sealer } from '../crypto/sealed.ts';

const COOKIE = 'idp_csrf';
const ID = /^[A-Za-z0-9_-]{32}$/;
const ID_BYTES = 24;

// New ids are cut from a pool of random bytes filled 128 ids at a time: each randomBytes() call makes
// a crypto job object of its own, as costly as the rest of the id's making. Every byte is used once.
const pool = Buffer.alloc(ID_BYTES * 128);
let taken = pool.length;
function newId(): string {
  if (taken + ID_BYTES > pool.length) {
    randomFillSync(pool);
    taken = 0;
  }
  const id = pool.toString('base64url', taken, taken + ID_BYTES);
  taken += ID_BYTES;
  return id;
}

/**
 * This browser's id (its cookie; made when it has none and `create`). It also names the state of a
 * public page flow (e.g. the forgotten password) in Redis.
 */
export function browserId(ctx: Koa.Context, create: boolean): string | undefined {
  const current = (ctx.state.csrfId as string | undefined) ?? ctx.cookies.get(COOKIE);
  if (current && ID.test(current)) return current;
  if (!create) return undefined;
  const id = newId();
  ctx.cookies.set(COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, signed: false, overwrite: true, path: '/' });
  // The same request may render a form after setting it: remember it for this request.
  ctx.state.csrfId = id;
  return id;
}

/** The token for this browser's forms (its cookie is set when it has none). */
export function csrfToken(ctx: Koa.Context, sealer: Sealer): string {
  return sealer.mac(browserId(ctx, true)!, 'csrf');
}

/** Refuses (403) a post whose token (form field `csrf`, or the X-CSRF-Token header) does not match. */
export function checkCsrf(ctx: Koa.Context, sealer: Sealer): void {
  const id = browserId(ctx, false);
  const sent = ctx.request.body?.csrf ?? ctx.get('x-csrf-token');
  if (!id || typeof sent !== 'string' || !safeEqual(sent, sealer.mac(id, 'csrf'))) throw new FormError(403, 'error.csrf');
}

/** The middleware: after the body parser, before the route. */
export function csrf(sealer: Sealer): Koa.Middleware {
  return async (ctx, next) => {
    checkCsrf(ctx, sealer);
    return next();
  };
}
