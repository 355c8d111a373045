// Auto-pipelining: off on a single Redis and on a Sentinel-managed master (the shared options), kept
// on a Cluster. The clients are built with lazyConnect: nothing connects here.
import { describe, expect, it } from 'vitest';
import { clusterClient, failFast, sentinelClient } from '../../src/store/cluster.ts';

const config = { redisUrl: undefined, redisPrefix: 't:' };

describe('store client options', () => {
  it('no auto-pipelining on a single Redis or a Sentinel master; a Cluster keeps its own', () => {
    expect(failFast(config).enableAutoPipelining).toBe(false);
    const sentinel = sentinelClient({ ...config, redisSentinels: ['127.0.0.1:1'] });
    const cluster = clusterClient({ ...config, redisClusterNodes: ['127.0.0.1:1'] });
    try {
      expect(sentinel.options.enableAutoPipelining).toBe(false);
      expect(sentinel.options.lazyConnect).toBe(true);
      expect(cluster.options.enableAutoPipelining).toBe(true);
    } finally {
      sentinel.disconnect();
      cluster.disconnect();
    }
  });
});
