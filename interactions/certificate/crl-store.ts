// The current CRL, kept in Redis for every process: rebuilt at each revocation and whenever the one
// served is a day old (or behind the revocations on record), by one process at a time. Each process
// keeps the bytes it last served, so a storm of requests costs one small Redis read each.
import { DAY_MS } from '../../src/clock.ts';
import type { Services } from '../../src/services.ts';
import { caOf } from './ca.ts';
import { buildCrl, isRevocationReason, type RevokedEntry } from './crl.ts';
import { certKeys } from './keys.ts';

export interface CurrentCrl { der: Buffer; number: number; thisUpdate: number; nextUpdate: number }

/** Rebuilt when older than this. */
export const CRL_MAX_AGE_MS = DAY_MS;
/** nextUpdate: two days, so a consumer that checks daily never holds an expired CRL. */
const NEXT_UPDATE_MS = 2 * DAY_MS;

const served = new WeakMap<Services, CurrentCrl>();

async function stored(s: Services): Promise<{ crl?: CurrentCrl; covers: number; revoked: number }> {
  const [fields, revoked] = await Promise.all([s.redis.hmget(certKeys.crl, 'number', 'thisUpdate', 'nextUpdate', 'covers'), s.redis.zcard(certKeys.revoked)]);
  const [number, thisUpdate, nextUpdate, covers] = fields;
  if (!number || !thisUpdate || !nextUpdate) return { covers: -1, revoked };
  const cached = served.get(s);
  if (cached && cached.number === Number(number)) return { crl: cached, covers: Number(covers), revoked };
  const der = await s.redis.hget(certKeys.crl, 'der');
  if (!der) return { covers: -1, revoked };
  const crl = { der: Buffer.from(der, 'base64'), number: Number(number), thisUpdate: Number(thisUpdate), nextUpdate: Number(nextUpdate) };
  served.set(s, crl);
  return { crl, covers: Number(covers), revoked };
}

async function rebuild(s: Services): Promise<CurrentCrl> {
  const ca = await caOf(s);
  const raw = await s.redis.zrange(certKeys.revoked, 0, -1, 'WITHSCORES');
  const entries: RevokedEntry[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const serial = raw[i]!;
    const reason = (await s.redis.hget(certKeys.cert(serial), 'reason')) ?? 'unspecified';
    entries.push({ serial, revokedAt: Number(raw[i + 1]), reason: isRevocationReason(reason) ? reason : 'unspecified' });
  }
  const now = s.clock.now();
  const number = await s.redis.incr(certKeys.crlNumber);
  const crl = { der: buildCrl(ca, entries, { number, thisUpdate: now, nextUpdate: now + NEXT_UPDATE_MS }), number, thisUpdate: now, nextUpdate: now + NEXT_UPDATE_MS };
  // A slower rebuild that started earlier never replaces a newer CRL.
  const current = Number((await s.redis.hget(certKeys.crl, 'number')) ?? 0);
  if (current < number) {
    await s.redis.hset(certKeys.crl, { der: crl.der.toString('base64'), number: String(number), thisUpdate: String(now), nextUpdate: String(crl.nextUpdate), covers: String(entries.length) });
  }
  served.set(s, crl);
  return crl;
}

/**
 * The CRL to serve. `force` (after a revocation): rebuilt now. Otherwise rebuilt only when missing, a
 * day old, or behind the revocations on record, and then by one process (a 30-second lock); the
 * others serve the last one meanwhile.
 */
export async function refreshCrl(s: Services, opts: { force?: boolean } = {}): Promise<CurrentCrl> {
  if (opts.force) return rebuild(s);
  const { crl, covers, revoked } = await stored(s);
  const stale = !crl || s.clock.now() - crl.thisUpdate >= CRL_MAX_AGE_MS || covers < revoked;
  if (!stale) return crl;
  const turn = (await s.redis.set(certKeys.crlLock, '1', 'EX', 30, 'NX')) === 'OK';
  if (!turn && crl) return crl;
  try {
    return await rebuild(s);
  } finally {
    if (turn) await s.redis.del(certKeys.crlLock);
  }
}
