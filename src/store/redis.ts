// The one store code path: an ioredis client against REDIS_URL, or, when it is unset, the embedded
// in-process store (ioredis-mock, same API, Lua included) for development. ioredis-mock is a
// development dependency, loaded only then: a production install (npm ci --omit=dev) lacks it.
import { Redis } from 'ioredis';
import type RedisMockType from 'ioredis-mock';
import { ConfigError, type Config } from '../config.ts';
import { defineScripts, type ScriptedRedis } from './scripts.ts';
import { clusterClient, failFast, sentinelClient } from './cluster.ts';

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
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|MaxRetriesPerRequest|max retries per request|Stream isn't writeable|Command timed out|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN|All sentinels are unreachable|None of startup nodes|READONLY|LOADING|MASTERDOWN|NOREPLICAS|Failed to refresh slots cache/.test(msg);
}

export type StoreConfig = Pick<Config, 'redisUrl' | 'redisPrefix'> & Partial<Pick<Config, 'redisCommandTimeoutMs' | 'redisConnectTimeoutMs' | 'redisClusterNodes' | 'redisSentinels' | 'redisSentinelMaster' | 'redisPassword' | 'redisWaitReplicas'>>;

export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.redisClusterNodes?.length || config.redisSentinels?.length) {
    const what = config.redisClusterNodes?.length ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
    const client = config.redisClusterNodes?.length
      ? clusterClient({ ...config, redisClusterNodes: config.redisClusterNodes })
      : sentinelClient({ ...config, redisSentinels: config.redisSentinels! });
    let lastError: Error | undefined;
    client.on('error', (err: Error) => { lastError = err; /* reported per request; reconnects on its own */ });
    // Waits for the client's `ready` event, not for connect()'s promise: when ioredis' first ready
    // check fails (a node connection still opening while the offline queue is off), the Cluster
    // reconnects on its own and becomes ready, but the promise of the first connect() never settles.
    // Bounded: a cluster whose slots never settle, or sentinels that name no master, do not hang the start.
    let timer: NodeJS.Timeout | undefined;
    try {
      const bound = 2 * (config.redisConnectTimeoutMs ?? 5000);
      const ready = new Promise<void>((resolve) => { client.once('ready', () => resolve()); });
      client.connect().catch((err: Error) => { lastError = err; /* retried by the client's retry strategy, within the bound */ });
      await Promise.race([ready, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`not ready within ${bound} ms${lastError ? ` (${lastError.message})` : ''}`)), bound); })]);
    } catch (err) {
      client.disconnect();
      throw new StoreUnavailable(`cannot reach Redis at ${what}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    // A Cluster has the commands of a Redis client (one code path); it is typed as one here.
    const redis = client as unknown as Redis;
    return { redis: defineScripts(redis), embedded: false, close: async () => { await client.quit().catch(() => client.disconnect()); } };
  }
  if (!config.redisUrl) {
    const RedisMock = await loadEmbeddedStore();
    const mock = new RedisMock({ keyPrefix: config.redisPrefix }) as unknown as Redis;
    return { redis: defineScripts(mock), embedded: true, close: async () => { mock.disconnect(); } };
  }
  // unix:/path/to/redis.sock reaches a co-located Redis over a Unix socket (cheaper than loopback TCP).
  const socket = /^unix:(\/\/)?(\/.+)$/.exec(config.redisUrl)?.[2];
  const options = {
    keyPrefix: config.redisPrefix,
    // Fail fast instead of queueing while Redis is away, and time out a Redis that stops answering
    // (SIGSTOP, a stuck node): requests get a 503, nothing waits forever. No auto-pipelining (see failFast).
    ...failFast(config),
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
