// REDIS_URL=unix:/path reaches a co-located Redis over its Unix socket.
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/redis.ts';
import { startRedisServer } from '../global-setup.ts';
import { realRedis } from '../helpers/idp.ts';

describe.skipIf(!realRedis)('Redis over a Unix socket', () => {
  it('connects with unix:/path and unix:///path, and refuses a missing socket clearly', async () => {
    const server = await startRedisServer({ unixSocket: true });
    try {
      for (const url of [`unix:${server!.socket}`, `unix://${server!.socket}`]) {
        const store = await openStore({ redisUrl: url, redisPrefix: 'sock:' });
        expect(await store.redis.ping()).toBe('PONG');
        await store.close();
      }
      await expect(openStore({ redisUrl: 'unix:/nonexistent/redis.sock', redisPrefix: '' })).rejects.toThrow(/cannot reach Redis at REDIS_URL/);
    } finally {
      server?.stop();
    }
  });
});
