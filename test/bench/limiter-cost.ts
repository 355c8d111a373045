// The abuse limits' CPU per login, for `npm run bench`: a password post takes one attempt (per
// address, per account, and the 30-day rule: three counts, two script calls in one round trip) and
// gives it back when the password is right, as src/http/rate-limit.ts does. Measured in this process (the Redis client's
// work included) with logins in flight at once, against the bench's Redis. Target: under 0.5 ms.
import { AbuseLimits } from '../../src/http/rate-limit.ts';
import { DEFAULTS } from '../../src/config.ts';
import { openStore } from '../../src/store/redis.ts';

export const LIMITER_TARGET_MS = 0.5;

export async function limiterCpuPerLogin(redisUrl: string, opts: { logins?: number; concurrency?: number } = {}): Promise<{ ms: number; logins: number }> {
  const logins = opts.logins ?? 4000;
  const concurrency = opts.concurrency ?? 8;
  const store = await openStore({ redisUrl, redisPrefix: 'bench-limiter:' });
  const limits = new AbuseLimits(store.redis, { rateLimit: { ...DEFAULTS.rateLimit, ipFailures: 1e9, accountFailures: 1e9, slowFailures: 1e9 } });
  try {
    const one = async (i: number) => {
      const attempt = await limits.attempt({ ip: `10.0.${(i >> 8) & 255}.${i & 255}`, account: `C.USER${i % 1000}`, slow: true });
      await attempt.release();
    };
    for (let i = 0; i < 200; i += 1) await one(i); // warm-up
    const before = process.cpuUsage();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < logins) await one(next++);
    }));
    await limits.flush(); // the points still waiting to be given back, written now (counted here)
    const used = process.cpuUsage(before);
    return { ms: (used.user + used.system) / 1000 / logins, logins };
  } finally {
    await limits.close();
    await store.close();
  }
}
