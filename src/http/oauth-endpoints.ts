// In front of oidc-provider's token, introspection and revocation endpoints: abuse limits on the
// client authentication (per address, and per client and address: a limit on the client alone would
// let anyone who knows a client_id shut that relying party out), and OAuth JSON errors when Redis
// is out of reach (503 temporarily_unavailable, not 500 server_error).
import { Readable } from 'node:stream';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import { isStoreUnavailable } from '../store/redis.ts';
import { TooManyAttempts, type AbuseLimits } from './rate-limit.ts';

// oidc-provider's default paths (our configuration keeps them).
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/introspection', '/token/revocation']);
// oidc-provider reads at most this much of a body on these endpoints.
const BODY_LIMIT = 56 * 1024;
const STORE_DOWN = Symbol('store unavailable');

function oauthError(ctx: Koa.Context, status: number, error: string, description: string, retryAfter?: number): void {
  ctx.status = status;
  ctx.type = 'json';
  ctx.set('cache-control', 'no-store');
  if (retryAfter !== undefined) ctx.set('retry-after', String(retryAfter));
  ctx.body = { error, error_description: description };
}

/** Marks a request whose oidc-provider error was Redis out of reach (from the server_error event). */
export function markStoreError(ctx: Koa.Context, err: unknown): void {
  if (isStoreUnavailable(err)) (ctx.state as Record<symbol, boolean>)[STORE_DOWN] = true;
}

/** 503 temporarily_unavailable for JSON endpoints that failed because Redis is out of reach. */
export function oauthUnavailable(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!isStoreUnavailable(err) || !CLIENT_AUTH_PATHS.has(ctx.path)) throw err;
      return oauthError(ctx, 503, 'temporarily_unavailable', 'the service is temporarily unavailable, try again later', 5);
    }
    if ((ctx.state as Record<symbol, boolean>)[STORE_DOWN] && ctx.status === 500 && ctx.response.is('json')) {
      oauthError(ctx, 503, 'temporarily_unavailable', 'the service is temporarily unavailable, try again later', 5);
    }
  };
}

/** The client_id a token request authenticates as: Basic header, client_id, or a client assertion's sub. */
export function clientIdOf(authorization: string | undefined, body: URLSearchParams): string | undefined {
  const [scheme, value] = (authorization ?? '').split(' ');
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      try { return decodeURIComponent(decoded.slice(0, i).replace(/\+/g, '%20')); } catch { return decoded.slice(0, i); }
    }
  }
  const id = body.get('client_id');
  if (id) return id;
  const assertion = body.get('client_assertion')?.split('.')[1];
  if (assertion) {
    try {
      const sub = (JSON.parse(Buffer.from(assertion, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
      if (typeof sub === 'string') return sub;
    } catch { /* oidc-provider refuses it */ }
  }
  return undefined;
}

/**
 * Reads the body (bounded as oidc-provider does) to learn the client, then hands oidc-provider an
 * identical stream, so that it parses the request exactly as it would have.
 */
async function peekBody(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  let raw: Buffer;
  try {
    raw = await getRawBody(ctx.req, { limit: BODY_LIMIT, length: ctx.get('content-length') || undefined });
  } catch {
    ctx.throw(400, 'invalid_request');
  }
  // The same request, its body readable again (headers, socket and the rest stay the original's).
  const original = ctx.req;
  const replay = Object.assign(Readable.from([raw]), { headers: original.headers, socket: original.socket, method: original.method, url: original.url, httpVersion: original.httpVersion });
  ctx.req = replay as unknown as typeof ctx.req;
  return new URLSearchParams(raw.toString('latin1'));
}

/** Abuse limits on client authentication: failures are the 401 invalid_client answers. */
export function limitClientAuth(limits: AbuseLimits): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path)) return next();
    let body: URLSearchParams;
    try {
      body = await peekBody(ctx);
    } catch {
      return oauthError(ctx, 400, 'invalid_request', 'the request body could not be read');
    }
    let check;
    try {
      check = await limits.checkFailures(ctx.ip, clientIdOf(ctx.get('authorization') || undefined, body));
    } catch (err) {
      if (!(err instanceof TooManyAttempts)) throw err;
      return oauthError(ctx, 429, 'too_many_requests', 'too many failed client authentications; retry later', err.retryAfterSeconds);
    }
    try {
      await next();
    } finally {
      if (ctx.status === 401) await check.fail().catch(() => undefined);
    }
  };
}
