// oidc-provider's token, introspection and revocation endpoints: abuse limits on the client
// authentication (per address, and per client and address: a limit on the client alone would let
// anyone who knows a client_id shut that relying party out), checked at the lookup of the client
// oidc-provider authenticates (so the count is of exactly that client, and the body is read once,
// by oidc-provider), and OAuth JSON errors when Redis is out of reach (503 temporarily_unavailable,
// not 500 server_error).
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { currentRequest } from './page-context.ts';
import { isStoreUnavailable } from '../store/redis.ts';
import { TooManyAttempts, type AbuseLimits } from './rate-limit.ts';

// oidc-provider's default paths (our configuration keeps them).
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/introspection', '/token/revocation']);
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

// What limitClientAuth knows of a request, for the client lookup and for after the answer.
interface ClientAuthCheck { limits: AbuseLimits; ip: string; clientId?: string; refused?: boolean }
const CHECK = Symbol('client authentication check');

/**
 * Abuse limits on client authentication: failures are the 401 invalid_client answers. The check
 * itself is made at the provider's client lookup (checkAtClientLookup), installed here with it, so
 * that the one cannot be had without the other.
 */
export function limitClientAuth(limits: AbuseLimits, provider: Provider): Koa.Middleware {
  checkAtClientLookup(provider);
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path)) return next();
    const check: ClientAuthCheck = { limits, ip: ctx.ip };
    (ctx.state as Record<symbol, ClientAuthCheck>)[CHECK] = check;
    try {
      await next();
    } finally {
      if (ctx.status === 401 && !check.refused) await limits.clientFailure(check.ip, check.clientId).catch(() => undefined);
    }
  };
}

/**
 * The limits are checked when oidc-provider looks up the client a request authenticates as: it has
 * read the body by then (one read, its own) and not yet checked the secret. Over a limit, the
 * lookup fails with an OAuth 429 (too_many_requests, Retry-After), which oidc-provider answers as
 * it answers its own errors.
 */
function checkAtClientLookup(provider: Provider): void {
  const Client = provider.Client as unknown as { find(id: string, ...rest: unknown[]): Promise<unknown> };
  const find = Client.find.bind(Client);
  Client.find = async (id: string, ...rest: unknown[]) => {
    const ctx = currentRequest()?.ctx;
    const check = ctx && (ctx.state as Record<symbol, ClientAuthCheck | undefined>)[CHECK];
    // The first lookup of a client-authentication request is the authenticating client's.
    if (check && check.clientId === undefined && typeof id === 'string') {
      check.clientId = id;
      try {
        await check.limits.refuseOverLimit(check.ip, id);
      } catch (err) {
        if (!(err instanceof TooManyAttempts)) throw err;
        check.refused = true;
        ctx.set('retry-after', String(err.retryAfterSeconds));
        ctx.set('cache-control', 'no-store');
        throw Object.assign(new Error('too_many_requests'), {
          expose: true, status: 429, statusCode: 429, error_description: 'too many failed client authentications; retry later',
        });
      }
    }
    return find(id, ...rest);
  };
}
