// Abuse limits on every route that checks a secret (rate-limiter-flexible on Redis: one atomic Lua
// script per count, shared by every process; never in-process memory).
//
// An attempt takes a point from each limiter that applies before any secret is checked, so that
// concurrent requests cannot race past a limit; an attempt that turns out right gives its points
// back. What stays counted are failures (and attempts whose outcome must not show, see `keep`):
//   ip       failures per client address (IPv6: per /64)             RATE_LIMIT_IP_*
//   account  failures per account name, known or not (or per client  RATE_LIMIT_ACCOUNT_*
//            and address on the OAuth endpoints)
//   slow     failures per account over a long window (NIST SP 800-63B RATE_LIMIT_SLOW_*
//            "at most 100"), which successes in between do not reset
// Over a limit the request is refused with 429 and Retry-After, before any work is done.
import { isIP } from 'node:net';
import type Koa from 'koa';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';

export class TooManyAttempts extends Error {
  readonly status = 429;
  readonly expose = true;
  constructor(readonly retryAfterSeconds: number, readonly limit: string) { super('error.too_many_attempts'); }
}

export interface AttemptKeys {
  ip: string;
  /** The account (or client) the secret belongs to; counted whether or not it exists. */
  account?: string;
  /** Also count toward the long-window rule (user accounts, not clients). */
  slow?: boolean;
}

export interface Attempt {
  /** The secret was right (or nothing was checked): the points go back. */
  release(): Promise<void>;
}

/** The key of a client address: IPv4 as it is, IPv6 by its /64 (one host usually has a whole /64). */
export function addressKey(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4) return v4;
  if (isIP(ip) !== 6) return ip.slice(0, 64);
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** An account name for a key: printable, bounded (it comes from what the user typed). */
function nameKey(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);
}

type Listener = (limit: string) => void;

export class AbuseLimits {
  private readonly ip: RateLimiterRedis;
  private readonly account: RateLimiterRedis;
  private readonly slow: RateLimiterRedis;
  private readonly listeners: Listener[] = [];

  constructor(redis: Redis, config: Pick<Config, 'rateLimit'>) {
    const r = config.rateLimit;
    const make = (keyPrefix: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration });
    this.ip = make('rl:ip', r.ipFailures, r.ipWindowSeconds);
    this.account = make('rl:acct', r.accountFailures, r.accountWindowSeconds);
    this.slow = make('rl:slow', r.slowFailures, r.slowWindowDays * 86_400);
  }

  /** Called with the limit's name on each refusal (metrics). */
  onRefusal(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Takes one attempt, or throws TooManyAttempts (a store error goes up as it is: 503). */
  async attempt(k: AttemptKeys): Promise<Attempt> {
    const taken: [RateLimiterRedis, string, string][] = [[this.ip, addressKey(k.ip), 'ip']];
    if (k.account) {
      taken.push([this.account, nameKey(k.account), 'account']);
      if (k.slow) taken.push([this.slow, nameKey(k.account), 'slow']);
    }
    const results = await Promise.all(taken.map(async ([limiter, key]) => {
      try {
        await limiter.consume(key);
        return undefined;
      } catch (res) {
        if (res instanceof RateLimiterRes) return res;
        throw res;
      }
    }));
    const refused = results.map((res, i) => (res ? { res, name: taken[i]![2] } : undefined)).filter((x) => x !== undefined);
    if (refused.length) {
      const wait = Math.max(...refused.map((r) => r.res.msBeforeNext));
      for (const l of this.listeners) l(refused[0]!.name);
      throw new TooManyAttempts(Math.max(1, Math.ceil(wait / 1000)), refused[0]!.name);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await Promise.all(taken.map(([limiter, key]) => limiter.reward(key, 1)));
      },
    };
  }

  /** Clears an account's counts (an unlock by the branch or the command line). */
  async clearAccount(accountId: string): Promise<void> {
    await Promise.all([this.account.delete(nameKey(accountId)), this.slow.delete(nameKey(accountId))]);
  }
}

/** limits.attempt for a page: a refusal carries Retry-After (the error page renders the 429). */
export async function takeAttempt(ctx: Koa.Context, limits: AbuseLimits, k: AttemptKeys): Promise<Attempt> {
  try {
    return await limits.attempt(k);
  } catch (err) {
    if (err instanceof TooManyAttempts) ctx.set('retry-after', String(err.retryAfterSeconds));
    throw err;
  }
}

/**
 * Counts the failures of a route handled by `next`: the attempt is taken before, and given back
 * unless the answer is a 401 (a wrong secret, as every secret-checking page answers it).
 */
export async function countFailures(ctx: Koa.Context, limits: AbuseLimits, k: AttemptKeys, next: () => Promise<unknown>): Promise<void> {
  const attempt = await takeAttempt(ctx, limits, k);
  try {
    await next();
  } finally {
    if (ctx.status !== 401) await attempt.release().catch(() => undefined);
  }
}

/** Posts of pages of a signed-in user that check a secret (current password, app codes): per address. */
export function limitByAddress(limits: AbuseLimits): Koa.Middleware {
  return (ctx, next) => (ctx.method === 'POST' ? countFailures(ctx, limits, { ip: ctx.ip }, next) : next());
}
