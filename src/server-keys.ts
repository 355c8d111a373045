// Signing keys (JWKS) and cookie keys. Configured keys win; otherwise they are generated on first
// start and kept in Redis (SET NX: when several processes start at once, the first one's keys win).
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { keys } from './store/keys.ts';
import { parseDataKey } from './crypto/sealed.ts';

export interface ServerKeys {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  dataKey: Buffer;
  generated: boolean;
}

async function generateJwks(): Promise<{ keys: Record<string, unknown>[] }> {
  const out: Record<string, unknown>[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
    const jwk = await exportJWK(privateKey);
    out.push({ ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` });
  }
  return { keys: out };
}

async function keep<T>(redis: Redis, key: string, make: () => Promise<T>): Promise<{ value: T; generated: boolean }> {
  const existing = await redis.get(key);
  if (existing) return { value: JSON.parse(existing) as T, generated: false };
  const fresh = await make();
  const won = await redis.set(key, JSON.stringify(fresh), 'NX');
  if (won) return { value: fresh, generated: true };
  return { value: JSON.parse((await redis.get(key))!) as T, generated: false };
}

export async function loadServerKeys(redis: Redis, config: Pick<Config, 'jwks' | 'cookieKeys' | 'dataKey'>): Promise<ServerKeys> {
  const jwks = config.jwks ? { value: config.jwks, generated: false } : await keep(redis, keys.jwks, generateJwks);
  const cookieKeys = config.cookieKeys
    ? { value: config.cookieKeys, generated: false }
    : await keep(redis, keys.cookieKeys, async () => [randomBytes(32).toString('base64url')]);
  const dataKey = config.dataKey
    ? { value: config.dataKey, generated: false }
    : await keep(redis, keys.dataKey, async () => randomBytes(32).toString('base64'));
  return {
    jwks: jwks.value, cookieKeys: cookieKeys.value, dataKey: parseDataKey(dataKey.value)!,
    generated: jwks.generated || cookieKeys.generated || dataKey.generated,
  };
}
