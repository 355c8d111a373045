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
    // No auto-pipelining on a single Redis or a Sentinel-managed master: it costs the process more
    // CPU than the writes it saves (measured with npm run bench, each server its own variant in one
    // run: -7 % main-thread CPU per login and per refresh grant without it). Commands written in the
    // same tick still leave together when the socket is busy, and the adapter's writes of one model
    // go in one round trip either way. (A Cluster sets its own, below.)
    enableAutoPipelining: false,
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
    // Kept on a Cluster (the -7 % above was measured on a single Redis and not on a Cluster; nothing
    // here needs it to be correct: no code sends a cross-slot pipeline of its own).
    enableAutoPipelining: true,
    scaleReads: 'master',
    slotsRefreshTimeout: config.redisConnectTimeoutMs ?? 5000,
    clusterRetryStrategy: (times: number) => Math.min(times * 200, 2000),
    redisOptions: { ...failFast(config), lazyConnect: false, password: config.redisPassword },
  };
  return new Cluster(config.redisClusterNodes.map(hostPort), options);
}

export function sentinelClient(config: StoreConfig & { redisSentinels: string[] }): Redis {
  const client = new Redis({
    ...failFast(config),
    keyPrefix: config.redisPrefix,
    sentinels: config.redisSentinels.map(hostPort),
    name: config.redisSentinelMaster ?? 'mymaster',
    password: config.redisPassword,
    // No failoverDetector: its subscription outlives a dead master's connection, and the
    // +switch-master it then hears aborts the reconnection under way, which leaves the client ended
    // for good (ioredis 5: "Connection is closed." on every command). A dead master closes the
    // connection anyway (the client asks the sentinels again when it reconnects), and a demoted one
    // answers writes with READONLY: that reconnects too.
    failoverDetector: false,
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2000),
  });
  if (config.redisWaitReplicas) waitForReplicas(client, config.redisWaitReplicas, Math.floor((config.redisCommandTimeoutMs ?? 2000) / 2));
  return client;
}

/**
 * Replication is asynchronous: a write the master answered can be lost when it dies before its
 * replica has it. REDIS_WAIT_REPLICAS makes every script defined on this client (the security
 * counters, and the other read-modify-writes) wait until that many replicas acknowledge it; fewer
 * within the bound fail the request closed (503; the write itself stays on the master).
 */
function waitForReplicas(client: Redis, replicas: number, timeoutMs: number): void {
  const define = client.defineCommand.bind(client);
  client.defineCommand = (name, definition) => {
    define(name, definition);
    const run: unknown = Reflect.get(client, name);
    if (typeof run !== 'function') return;
    // A pipeline (auto-pipelining included) copies this function and calls it as its own method:
    // then it only queues the script. Callback-style calls are not used here: passed through.
    Reflect.set(client, name, function (this: unknown, ...args: unknown[]): unknown {
      if (this !== client || typeof args.at(-1) === 'function') return Reflect.apply(run, this, args);
      return (Reflect.apply(run, client, args) as Promise<unknown>).then(async (reply) => {
        const acknowledged = await client.wait(replicas, timeoutMs);
        if (acknowledged < replicas) throw new Error(`NOREPLICAS: ${acknowledged} of ${replicas} replicas acknowledged the write within ${timeoutMs} ms`);
        return reply;
      });
    });
  };
}
