// Abuse limits on every route that checks a secret: counters in Redis shared by every process (never
// in-process memory), each changed only by one atomic Lua script (below).
//
// An attempt takes a point from each limiter that applies before any secret is checked, so that
// concurrent requests cannot race past a limit; an attempt that turns out right gives its points
// back. What stays counted are failures; a refused attempt counts nowhere:
//   ip       failures per client address (IPv6: per /64)             RATE_LIMIT_IP_*
//   account  failures per account name, known or not                 RATE_LIMIT_ACCOUNT_*
//   client   failures per client and address on the OAuth endpoints  RATE_LIMIT_ACCOUNT_*
//   slow     failures per account over a long window (NIST SP 800-63B RATE_LIMIT_SLOW_*
//            "at most 100"), which successes in between do not reset
// Over a limit the request is refused with 429 and Retry-After, before any work is done.
//
// Client authentication (refuseOverLimit, clientFailure) is counted the other way round: its secrets
// are long and random, so a few guesses racing past a limit give nothing away, while every token
// request would pay for a take and a give-back. One MGET reads the address's and the client's counts
// (they share the address's hash tag) and refuses at the limit; a failure is counted after the answer.
//
// Cost: one script call per key group (the address; the account's two counters, which share a hash
// tag), one INCRBY each, PTTL only when refusing. Points given back wait in this process (half
// GIVE_BACK_MS to GIVE_BACK_MS) and go with the next attempt on the same counter, in the same script
// call (so a user's next login, or the next request from a busy address, carries them: no call of
// its own); the rest are written by a timer, and on close. A point waiting to be given back counts as an
// attempt in flight: the limits refuse at the same counts within a process, and other processes
// see, for at most GIVE_BACK_MS, a count higher by those points (never lower).
import { isIP } from 'node:net';
import type Koa from 'koa';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { defineScript, registerScripts, replies } from '../store/script.ts';

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
  // No braces: the name is the hash tag of its counters (src/store/keys.ts).
  return name.replace(/[^\x21-\x7a|~]/g, '?').slice(0, 100);
}

type Listener = (limit: string) => void;

/** Points given back are written within this time (or sooner, with the next attempt on the counter). */
export const GIVE_BACK_MS = 1000;

// KEYS counters of one hash tag; ARGV per key: take (1|0), give back (>= 0), window (s), limit.
// INCRBY take - give back; a counter that was empty starts its window; give-backs that exceed the
// counter (its window ended meanwhile) leave it at the take; a counter at 0 with nothing taken is
// removed. When a take puts any counter of the group over its limit, the group's takes are undone:
// a refused attempt counts nowhere (else a burst of refused requests would fill the long window and
// lock the account out for 30 days). Returns per key {count with the take, ms before the window ends
// when over the limit, else 0}.
const COUNT_LUA = `
local function count(i)
  local take, give = tonumber(ARGV[i * 4 - 3]), tonumber(ARGV[i * 4 - 2])
  local n = redis.call('INCRBY', KEYS[i], take - give)
  local fresh = n == take - give
  if take == 0 and n <= 0 then
    redis.call('DEL', KEYS[i])
    return 0, 0, false
  end
  if n < take then
    -- Up to the take, the window's expiry kept (INCRBY keeps it; the embedded store has no KEEPTTL).
    redis.call('INCRBY', KEYS[i], take - n)
    n = take
  end
  if fresh then redis.call('EXPIRE', KEYS[i], ARGV[i * 4 - 1]) end
  if take == 1 and n > tonumber(ARGV[i * 4]) then return n, redis.call('PTTL', KEYS[i]), true end
  return n, 0, false
end
local function undo()
  for i = 1, #KEYS do
    if tonumber(ARGV[i * 4 - 3]) == 1 then redis.call('DECRBY', KEYS[i], 1) end
  end
end
-- The reply is built as a literal (the embedded store's Lua loses table appends).
local n1, ms1, over1 = count(1)
if #KEYS == 1 then
  if over1 then undo() end
  return {n1, ms1}
end
local n2, ms2, over2 = count(2)
if over1 or over2 then undo() end
return {n1, ms1, n2, ms2}`;

const countReply = (raw: unknown) => replies.tuple(raw, 2).map(replies.number);
const COUNT = [
  defineScript<(string | number)[], number[]>({ name: 'abuseCount1', numberOfKeys: 1, lua: COUNT_LUA, reply: countReply }),
  defineScript<(string | number)[], number[]>({ name: 'abuseCount2', numberOfKeys: 2, lua: COUNT_LUA, reply: countReply }),
];

interface Counter { key: string; name: string; window: number; limit: number }

export class AbuseLimits {
  private readonly r: Config['rateLimit'];
  private readonly listeners: Listener[] = [];
  /** Points given back, not yet written: counter key → points, and when the first of them came. */
  private readonly pending = new Map<string, { points: number; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly redis: Redis, config: Pick<Config, 'rateLimit'>) {
    this.r = config.rateLimit;
    registerScripts(redis, COUNT);
  }

  /** Called with the limit's name on each refusal (metrics). */
  onRefusal(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** The counters of an attempt, in groups that one script call updates (one hash tag each). */
  private groups(k: AttemptKeys): Counter[][] {
    const r = this.r;
    const out: Counter[][] = [[this.ipCounter(k.ip)]];
    if (k.account) {
      const tag = `{${nameKey(k.account)}}`;
      const group: Counter[] = [{ key: `rl:acct:${tag}`, name: 'account', window: r.accountWindowSeconds, limit: r.accountFailures }];
      if (k.slow) group.push({ key: `rl:slow:${tag}`, name: 'slow', window: r.slowWindowDays * 86_400, limit: r.slowFailures });
      out.push(group);
    }
    return out;
  }

  private ipCounter(ip: string): Counter {
    return { key: `rl:ip:{${nameKey(addressKey(ip))}}`, name: 'ip', window: this.r.ipWindowSeconds, limit: this.r.ipFailures };
  }

  /** The address's counter and, for a named client, the client's at that address (one hash tag). */
  private clientGroup(ip: string, clientId: string | undefined): Counter[] {
    const address = this.ipCounter(ip);
    if (clientId === undefined) return [address];
    const key = `rl:client:{${nameKey(addressKey(ip))}}${nameKey(clientId)}`;
    return [address, { key, name: 'client', window: this.r.accountWindowSeconds, limit: this.r.accountFailures }];
  }

  /**
   * Client authentication: throws TooManyAttempts when the address or the client at that address
   * has reached its limit of failures (one MGET; PTTL only on a refusal). Nothing is taken: a
   * failure is counted after the answer (clientFailure).
   */
  async refuseOverLimit(ip: string, clientId: string | undefined): Promise<void> {
    const group = this.clientGroup(ip, clientId);
    const counts = await this.redis.mget(...group.map((c) => c.key));
    // Points this process has yet to give back are attempts that turned out right.
    const over = group.filter((c, i) => Number(counts[i] ?? 0) - (this.pending.get(c.key)?.points ?? 0) >= c.limit);
    if (!over.length) return;
    const ms = await Promise.all(over.map((c) => this.redis.pttl(c.key)));
    const longest = over.map((c, i) => ({ name: c.name, ms: ms[i]! })).reduce((a, b) => (b.ms > a.ms ? b : a));
    for (const l of this.listeners) l(longest.name);
    throw new TooManyAttempts(Math.max(1, Math.ceil(longest.ms / 1000)), longest.name);
  }

  /** Counts one failed client authentication (one script call; never past a limit). */
  async clientFailure(ip: string, clientId: string | undefined): Promise<void> {
    await this.count(this.clientGroup(ip, clientId), 1);
  }

  /** One script call: take (1) or not (0) a point from each counter, with the points waiting to go back. */
  private async count(group: Counter[], take: 0 | 1): Promise<number[]> {
    const give = group.map((c) => this.pending.get(c.key)?.points ?? 0);
    for (const c of group) this.pending.delete(c.key);
    try {
      return await COUNT[group.length - 1]!.run(this.redis, group.map((c) => c.key), ...group.flatMap((c, i) => [take, give[i]!, c.window, c.limit]));
    } catch (err) {
      group.forEach((c, i) => { if (give[i]) this.giveBack(c.key, give[i]!); });
      throw err;
    }
  }

  private giveBack(key: string, points: number): void {
    const p = this.pending.get(key);
    if (p) p.points += points;
    else this.pending.set(key, { points, since: performance.now() });
    this.schedule();
  }

  /** The timer: every half GIVE_BACK_MS, writes the points that have waited at least that long. */
  private schedule(): void {
    if (this.timer || this.closed || !this.pending.size) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(performance.now() - GIVE_BACK_MS / 2).catch(() => undefined).finally(() => this.schedule());
    }, GIVE_BACK_MS / 2);
    this.timer.unref();
  }

  /** Writes the points waiting to be given back since `before` (performance.now()), by default all. */
  async flush(before = Infinity): Promise<void> {
    const keys = [...this.pending].filter(([, p]) => p.since <= before).map(([key]) => key);
    if (!keys.length) return this.flushing;
    // An account's two counters together (they share its hash tag), the others one by one.
    const byTag = new Map<string, Counter[]>();
    for (const key of keys) {
      const c = { key, name: '', window: 1, limit: 0 };
      const account = /^rl:(acct|slow):/.test(key) ? `account ${key.slice('rl:acct:'.length)}` : key;
      byTag.set(account, [...(byTag.get(account) ?? []), c]);
    }
    this.flushing = Promise.all([...byTag.values()].map((group) => this.count(group, 0))).then(() => undefined);
    return this.flushing;
  }

  /** Stops the timer and writes what waits to be given back (the store must still be open). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
  }

  /** Takes one attempt, or throws TooManyAttempts (a store error goes up as it is: 503). */
  async attempt(k: AttemptKeys): Promise<Attempt> {
    const groups = this.groups(k);
    const results = await Promise.all(groups.map((g) => this.count(g, 1)));
    const refused: { name: string; ms: number }[] = [];
    const groupRefused = groups.map((g, gi) => {
      let over = false;
      g.forEach((c, i) => {
        if (results[gi]![i * 2]! > c.limit) { refused.push({ name: c.name, ms: results[gi]![i * 2 + 1]! }); over = true; }
      });
      return over;
    });
    if (refused.length) {
      // A refused attempt counts nowhere: the groups that took their point give it back (the
      // refusing group's script has undone its own).
      groups.forEach((g, gi) => { if (!groupRefused[gi]) for (const c of g) this.giveBack(c.key, 1); });
      const longest = refused.reduce((a, b) => (b.ms > a.ms ? b : a));
      for (const l of this.listeners) l(longest.name);
      throw new TooManyAttempts(Math.max(1, Math.ceil(longest.ms / 1000)), longest.name);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        for (const g of groups) for (const c of g) this.giveBack(c.key, 1);
      },
    };
  }

  /** Clears an account's counts (an unlock by the branch or the command line). */
  async clearAccount(accountId: string): Promise<void> {
    const tag = `{${nameKey(accountId)}}`;
    this.pending.delete(`rl:acct:${tag}`);
    this.pending.delete(`rl:slow:${tag}`);
    await this.redis.del(`rl:acct:${tag}`, `rl:slow:${tag}`);
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
