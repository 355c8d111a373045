// For load balancers and orchestrators. GET /healthz: the process is up and serving (it never
// touches Redis, so a hung Redis cannot hang it). GET /readyz: this process should get traffic:
// Redis answers within READY_TIMEOUT_MS, the signing keys it relies on are in Redis, and it is not
// shutting down.
import type Router from '@koa/router';
import type { Config } from '../config.ts';
import { keys } from '../store/keys.ts';
import type { ScriptedRedis } from '../store/scripts.ts';

export interface Lifecycle {
  /** Set on SIGTERM: /readyz answers 503 so that the balancer stops sending requests. */
  draining: boolean;
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(router: Router, redis: ScriptedRedis, config: Pick<Config, 'readyTimeoutMs' | 'jwks'>, embedded: boolean, lifecycle: Lifecycle): void {
  router.get('/healthz', (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    if (lifecycle.draining) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    try {
      // Generated keys live in Redis: a Redis that lost them (restarted empty) is not ready.
      const [pong, jwks] = await within(config.readyTimeoutMs, Promise.all([redis.ping(), config.jwks ? 1 : redis.exists(keys.jwks)]));
      if (pong !== 'PONG' || !jwks) throw new Error(jwks ? 'no PONG' : 'signing keys missing from Redis');
      ctx.body = { status: 'ok', store: embedded ? 'embedded' : 'redis' };
    } catch (err) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: (err as Error).message };
    }
  });
}
