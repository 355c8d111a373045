// The one store code path: an ioredis client against REDIS_URL, or, when it is unset, the embedded
// in-process store (ioredis-mock, same API, Lua included) for development. ioredis-mock is a
// development dependency, loaded only then: a production install (npm ci --omit=dev) lacks it.
import { Redis } from 'ioredis';
import type RedisMockType from 'ioredis-mock';
import { ConfigError, type Config } from '../config.ts';
import { defineScripts, type ScriptedRedis } from './scripts.ts';

export interface Store {
  redis: ScriptedRedis;
  embedded: boolean;
  close(): Promise<void>;
}

export class StoreUnavailable extends Error {}

/** True for errors that mean Redis could not be reached (fail closed with a 503). */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailable) return true;
  const msg = err instanceof Error ? err.message : '';
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|MaxRetriesPerRequest|Stream isn't writeable/.test(msg);
}

export async function openStore(config: Pick<Config, 'redisUrl' | 'redisPrefix'>): Promise<Store> {
  if (!config.redisUrl) {
    const RedisMock = await loadEmbeddedStore();
    const mock = new RedisMock({ keyPrefix: config.redisPrefix }) as unknown as Redis;
    return { redis: defineScripts(mock), embedded: true, close: async () => { mock.disconnect(); } };
  }
  // unix:/path/to/redis.sock reaches a co-located Redis over a Unix socket (cheaper than loopback TCP).
  const socket = /^unix:(\/\/)?(\/.+)$/.exec(config.redisUrl)?.[2];
  const options = {
    keyPrefix: config.redisPrefix,
    lazyConnect: true,
    // Fail fast instead of queueing while Redis is away: requests get a 503, nothing waits forever.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    // Commands issued in the same tick share one write (fewer system calls per login).
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  const redis = socket ? new Redis({ ...options, path: socket }) : new Redis(config.redisUrl, options);
  redis.on('error', () => { /* reported per request; reconnects on its own */ });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new StoreUnavailable(`cannot reach Redis at REDIS_URL: ${(err as Error).message}`);
  }
  return { redis: defineScripts(redis), embedded: false, close: async () => { await redis.quit().catch(() => redis.disconnect()); } };
}

async function loadEmbeddedStore(): Promise<typeof RedisMockType> {
  try {
    return (await import('ioredis-mock')).default;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new ConfigError('invalid setting REDIS_URL: unset, and the embedded store (ioredis-mock, a development dependency) is not installed: set REDIS_URL to a real Redis (production needs one), or install the development dependencies (npm ci)');
  }
}
