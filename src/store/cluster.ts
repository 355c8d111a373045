// Redis Cluster and Redis Sentinel clients from the configuration (REDIS_CLUSTER_NODES,
// REDIS_SENTINELS + REDIS_SENTINEL_MASTER), with the same fail-fast options as a single Redis.
// Keys that one script or transaction touches share a hash tag (src/store/keys.ts), so every
// multi-key operation stays in one slot; commands on unrelated keys are sent one by one (never in a
// cross-slot pipeline).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { StoreConfig } from './redis.ts';

function hostPort(entry: string): { host: string; port: number } {
  const i = entry.lastIndexOf(':');
  return { host: entry.slice(0, i), port: Number(entry.slice(i + 1)) };
}

/** The options every connection gets: fail fast rather than queue or hang. */
export function failFast(config: StoreConfig): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: config.redisConnectTimeoutMs ?? 5000,
    commandTimeout: config.redisCommandTimeoutMs ?? 2000,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}

export function clusterClient(config: StoreConfig & { redisClusterNodes: string[] }): Cluster {
  const options: ClusterOptions = {
    keyPrefix: config.redisPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    scaleReads: 'master',
    slotsRefreshTimeout: config.redisConnectTimeoutMs ?? 5000,
    clusterRetryStrategy: (times: number) => Math.min(times * 200, 2000),
    redisOptions: { ...failFast(config), lazyConnect: false, password: config.redisPassword },
  };
  return new Cluster(config.redisClusterNodes.map(hostPort), options);
}

export function sentinelClient(config: StoreConfig & { redisSentinels: string[] }): Redis {
  return new Redis({
    ...failFast(config),
    keyPrefix: config.redisPrefix,
    enableAutoPipelining: true,
    sentinels: config.redisSentinels.map(hostPort),
    name: config.redisSentinelMaster ?? 'mymaster',
    password: config.redisPassword,
    // Follows a failover as soon as the sentinels announce it, rather than at the next error.
    failoverDetector: true,
    sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2000),
  });
}
