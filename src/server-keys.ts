// Signing keys (JWKS) and cookie keys. Configured keys win; otherwise they are generated on first
// start and kept in Redis sealed under DATA_KEY (SET NX: when several processes start at once, the
// first one's keys win). A sealed check value tells at start whether DATA_KEY opens what is sealed.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Redis } from 'ioredis';
import { ConfigError, type Config } from './config.ts';
import { keys } from './store/keys.ts';
import { parseDataKey, Sealer, SealError } from './crypto/sealed.ts';
import type { ScriptedRedis } from './store/scripts.ts';

export interface ServerKeys {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  dataKey: Buffer;
  generated: boolean;
}

const SEALED = 'sealed:';
const CHECK = 'data-key-check';

async function generateJwks(): Promise<{ keys: Record<string, unknown>[] }> {
  const out: Record<string, unknown>[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
    const jwk = await exportJWK(privateKey);
    out.push({ ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` });
  }
  return { keys: out };
}

const wrongKey = (what: string) => new ConfigError(`invalid setting DATA_KEY (dataKey): it does not open ${what} already sealed in Redis (a different key than the one the data were sealed with)`);

/** A stored value: sealed (opened here), or plain from an older version (refused in production). */
function readStored<T>(raw: string, key: string, sealer: Sealer, production: boolean): { value: T; plain: boolean } {
  if (raw.startsWith(SEALED)) {
    try {
      return { value: JSON.parse(sealer.openText(raw.slice(SEALED.length), `server-keys:${key}`)) as T, plain: false };
    } catch (err) {
      if (err instanceof SealError) throw wrongKey(`the ${key === keys.jwks ? 'signing' : 'cookie'} keys`);
      throw err;
    }
  }
  if (production) {
    throw new ConfigError(`invalid setting JWKS (jwks): the ${key === keys.jwks ? 'signing' : 'cookie'} keys are kept in Redis in plain form: set JWKS and COOKIE_KEYS, or start once outside production mode with this DATA_KEY to seal them`);
  }
  return { value: JSON.parse(raw) as T, plain: true };
}

async function keep<T>(redis: Redis, key: string, sealer: Sealer, production: boolean, make: () => Promise<T>): Promise<{ value: T; generated: boolean }> {
  const existing = await redis.get(key);
  if (existing) {
    const { value, plain } = readStored<T>(existing, key, sealer, production);
    // Keys of an older version are sealed now (only if nobody changed them meanwhile).
    if (plain) await (redis as ScriptedRedis).stringCompareAndSet(key, existing, SEALED + sealer.seal(JSON.stringify(value), `server-keys:${key}`));
    return { value, generated: false };
  }
  const fresh = await make();
  const won = await redis.set(key, SEALED + sealer.seal(JSON.stringify(fresh), `server-keys:${key}`), 'NX');
  if (won) return { value: fresh, generated: true };
  return { value: readStored<T>((await redis.get(key))!, key, sealer, production).value, generated: false };
}

/** Refuses a DATA_KEY that does not open the check value sealed by the first start. */
async function checkDataKey(redis: Redis, sealer: Sealer): Promise<void> {
  await redis.set(keys.dataKeyCheck, sealer.seal(CHECK, CHECK), 'NX');
  const stored = await redis.get(keys.dataKeyCheck);
  try {
    if (!stored || sealer.openText(stored, CHECK) !== CHECK) throw new SealError('mismatch');
  } catch (err) {
    if (err instanceof SealError) throw wrongKey('the data');
    throw err;
  }
}

export async function loadServerKeys(redis: Redis, config: Pick<Config, 'jwks' | 'cookieKeys' | 'dataKey'> & Partial<Pick<Config, 'production'>>): Promise<ServerKeys> {
  const production = config.production ?? false;
  const dataKey = config.dataKey
    ? { value: config.dataKey, generated: false }
    : await (async () => {
      const existing = await redis.get(keys.dataKey);
      if (existing) return { value: existing, generated: false };
      const fresh = randomBytes(32).toString('base64');
      const won = await redis.set(keys.dataKey, fresh, 'NX');
      return won ? { value: fresh, generated: true } : { value: (await redis.get(keys.dataKey))!, generated: false };
    })();
  const key = parseDataKey(dataKey.value)!;
  const sealer = new Sealer(key);
  await checkDataKey(redis, sealer);
  const jwks = config.jwks ? { value: config.jwks, generated: false } : await keep(redis, keys.jwks, sealer, production, generateJwks);
  const cookieKeys = config.cookieKeys
    ? { value: config.cookieKeys, generated: false }
    : await keep(redis, keys.cookieKeys, sealer, production, async () => [randomBytes(32).toString('base64url')]);
  return {
    jwks: jwks.value, cookieKeys: cookieKeys.value, dataKey: key,
    generated: jwks.generated || cookieKeys.generated || dataKey.generated,
  };
}
