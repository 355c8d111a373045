// The abuse limits' counters (src/http/rate-limit.ts) on the suite's Redis: one script per counter
// group, points given back later with the next attempt (or by the timer, or at close), refusals at
// the same counts, and concurrent attempts that cannot race past a limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/redis.ts';
import { AbuseLimits, TooManyAttempts } from '../../src/http/rate-limit.ts';
import { redisUrl, uniquePrefix } from '../helpers/idp.ts';

let store: Store;
const config = { rateLimit: { ipFailures: 5, ipWindowSeconds: 60, accountFailures: 3, accountWindowSeconds: 60, slowFailures: 4, slowWindowDays: 1 } };

beforeAll(async () => {
  store = await openStore({ redisUrl: redisUrl || undefined, redisPrefix: uniquePrefix() });
});
afterAll(async () => store?.close());

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof TooManyAttempts ? e.limit : Promise.reject(e)));

describe('abuse counters', () => {
  it('counts failures only: successes give their points back, with the next attempt or at close', async () => {
    const limits = new AbuseLimits(store.redis, config);
    for (let i = 0; i < 10; i += 1) await (await limits.attempt({ ip: '10.9.0.1', account: 'C.OK', slow: true })).release();
    // A given-back point counts until it is written: at most the one of the last success here.
    expect(Number(await store.redis.get('rl:acct:{C.OK}'))).toBeLessThanOrEqual(1);
    await limits.close();
    expect(await store.redis.exists('rl:ip:{10.9.0.1}', 'rl:acct:{C.OK}', 'rl:slow:{C.OK}')).toBe(0);
  });

  it('refuses at the same count, successes in between or not, and says how long to wait', async () => {
    const limits = new AbuseLimits(store.redis, config);
    await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' }); // a failure: kept
    await (await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' })).release();
    await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' });
    await (await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' })).release();
    await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' }); // the third failure
    const err = await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyAttempts);
    expect((err as TooManyAttempts).limit).toBe('account');
    expect((err as TooManyAttempts).retryAfterSeconds).toBeGreaterThan(50);
    await limits.clearAccount('C.BAD');
    await (await limits.attempt({ ip: '10.9.0.2', account: 'C.BAD' })).release();
    await limits.close();
  });

  it('lets no more concurrent attempts through than the limit', async () => {
    const limits = new AbuseLimits(store.redis, config);
    const results = await Promise.all(Array.from({ length: 20 }, () => refusal(limits.attempt({ ip: '10.9.0.3', account: 'C.RACE', slow: true }))));
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
    await limits.close();
  });

  it('does not carry points given back into a window that ended (nor below the attempt itself)', async () => {
    const limits = new AbuseLimits(store.redis, config);
    await (await limits.attempt({ ip: '10.9.0.4' })).release();
    await store.redis.del('rl:ip:{10.9.0.4}'); // the window ended (or an unlock) before the point went back
    await limits.attempt({ ip: '10.9.0.4' });
    expect(await store.redis.get('rl:ip:{10.9.0.4}')).toBe('1');
    expect(await store.redis.ttl('rl:ip:{10.9.0.4}')).toBeGreaterThan(50);
    await limits.close();
  });

  it('counts no refused attempt: a burst past the account limit leaves the long window as it was', async () => {
    const limits = new AbuseLimits(store.redis, config);
    for (let i = 0; i < 3; i++) await limits.attempt({ ip: `10.9.1.${i}`, account: 'C.BURST', slow: true }); // three failures
    const refusals = await Promise.all(Array.from({ length: 12 }, (_, i) => refusal(limits.attempt({ ip: `10.9.2.${i}`, account: 'C.BURST', slow: true }))));
    expect(refusals.every((r) => r === 'account')).toBe(true);
    expect(await store.redis.get('rl:acct:{C.BURST}')).toBe('3');
    expect(await store.redis.get('rl:slow:{C.BURST}')).toBe('3');
    // Nor on the address, which took its point in another script call and gives it back.
    await limits.close();
    expect(await store.redis.get('rl:ip:{10.9.2.0}')).toBeNull();
  });
});

describe('client authentication counters', () => {
  it('write nothing for a right secret, count each failure after it, and refuse at the limit', async () => {
    const limits = new AbuseLimits(store.redis, config);
    for (let i = 0; i < 5; i += 1) await limits.refuseOverLimit('10.9.3.1', 'rp');
    expect(await store.redis.exists('rl:ip:{10.9.3.1}', 'rl:client:{10.9.3.1}rp')).toBe(0);
    for (let i = 0; i < 3; i += 1) await limits.refuseOverLimit('10.9.3.1', 'rp').then(() => limits.clientFailure('10.9.3.1', 'rp'));
    expect(await store.redis.get('rl:client:{10.9.3.1}rp')).toBe('3');
    expect(await refusal(limits.refuseOverLimit('10.9.3.1', 'rp'))).toBe('client');
    // Another client from that address is still answered, until the address's own limit.
    await limits.refuseOverLimit('10.9.3.1', 'other').then(() => limits.clientFailure('10.9.3.1', 'other'));
    await limits.refuseOverLimit('10.9.3.1', 'other').then(() => limits.clientFailure('10.9.3.1', 'other'));
    expect(await refusal(limits.refuseOverLimit('10.9.3.1', 'third'))).toBe('ip');
    // Refusals counted nowhere.
    expect(await store.redis.get('rl:ip:{10.9.3.1}')).toBe('5');
    await limits.close();
  });

  it('never count past the limit, however many failures race', async () => {
    const limits = new AbuseLimits(store.redis, config);
    await Promise.all(Array.from({ length: 8 }, () => limits.refuseOverLimit('10.9.3.2', 'rp')));
    await Promise.all(Array.from({ length: 8 }, () => limits.clientFailure('10.9.3.2', 'rp')));
    expect(await store.redis.get('rl:client:{10.9.3.2}rp')).toBe('3');
    // (A failure that would pass the client's limit is not counted for the address either.)
    expect(Number(await store.redis.get('rl:ip:{10.9.3.2}'))).toBeGreaterThanOrEqual(3);
    expect(Number(await store.redis.get('rl:ip:{10.9.3.2}'))).toBeLessThanOrEqual(5);
    await limits.close();
  });
});
