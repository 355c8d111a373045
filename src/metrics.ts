// Prometheus metrics (prom-client), at GET /metrics: on PORT, or only on METRICS_PORT, behind
// METRICS_TOKEN when set. What is counted comes from where it already happens: security events
// from the audit log (logins by method, level and outcome; lockouts), messages from the delivery,
// refusals from the abuse limits, latencies from one HTTP middleware and one wrapper of the Redis
// client's sendCommand. Labels are bounded sets (routes, methods, commands), never user input.
import type Koa from 'koa';
import type Router from '@koa/router';
import { safeEqual } from './crypto/safe-equal.ts';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { AuditEvent } from './audit.ts';
import type { Delivery } from './delivery/delivery.ts';

/** One Redis command of a name in this many is timed (see watchRedis). */
const REDIS_TIMED_EVERY = 8;

export class Metrics {
  readonly registry = new Registry();
  private readonly logins = new Counter({ name: 'idp_logins_total', help: 'finished logins by level (acr)', labelNames: ['acr'], registers: [this.registry] });
  private readonly steps = new Counter({ name: 'idp_login_steps_total', help: 'login steps answered, by method (password, otp, card, totp...) and outcome', labelNames: ['method', 'outcome', 'reason'], registers: [this.registry] });
  private readonly lockouts = new Counter({ name: 'idp_lockouts_total', help: 'credentials locked by wrong entries, by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly messages = new Counter({ name: 'idp_messages_sent_total', help: 'messages sent (codes, first-access passwords, notices) by channel and kind', labelNames: ['channel', 'kind', 'outcome'], registers: [this.registry] });
  private readonly certificates = new Counter({ name: 'idp_certificates_issued_total', help: 'client certificates issued (once the certificate step is installed)', registers: [this.registry] });
  private readonly refusals = new Counter({ name: 'idp_rate_limit_refusals_total', help: 'requests refused by the abuse limits, by limit (ip, account, slow)', labelNames: ['limit'], registers: [this.registry] });
  private readonly http = new Histogram({ name: 'idp_http_request_duration_seconds', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  private readonly redisLatency = new Histogram({ name: 'idp_redis_command_duration_seconds', help: 'Redis commands by command (the first of each name, then one in 8)', labelNames: ['command'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2], registers: [this.registry] });
  private readonly redisErrors = new Counter({ name: 'idp_redis_errors_total', help: 'Redis errors: failed commands and connection errors', labelNames: ['kind'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'idp_process_' });
  }

  /** Security events, as the audit log records them. */
  audit(e: AuditEvent): void {
    if (e.event === 'login' && e.outcome === 'success') this.logins.inc({ acr: (e.reason ?? 'unknown').split(' ')[0]! });
    else if (e.event.startsWith('login.')) {
      const reason = e.outcome === 'failure' ? (e.reason ?? '').split(/[ :]/)[0]!.slice(0, 20) : '';
      this.steps.inc({ method: e.event.slice(6, 30), outcome: e.outcome, reason });
    } else if (e.event === 'credential.locked') this.lockouts.inc({ kind: (e.reason ?? 'unknown').slice(0, 20) });
    else if (e.event === 'certificate.issue' && e.outcome === 'success') this.certificates.inc();
  }

  refusal(limit: string): void {
    this.refusals.inc({ limit });
  }

  /** Counts what the delivery sends (wraps its send). */
  watchDelivery(delivery: Delivery): void {
    const send = delivery.send.bind(delivery);
    delivery.send = async (c) => {
      try {
        await send(c);
        this.messages.inc({ channel: c.channel, kind: c.kind, outcome: 'sent' });
      } catch (err) {
        this.messages.inc({ channel: c.channel, kind: c.kind, outcome: 'failed' });
        throw err;
      }
    };
  }

  /**
   * Latency of Redis commands and the errors of the client (wraps its sendCommand). Every command's
   * failure is counted; the latency of the first command of each name and then of one in
   * REDIS_TIMED_EVERY is observed (timing each cost about as much as the command's own client
   * work): the histogram's counts are of the commands timed. Returns the function that stops it.
   */
  watchRedis(redis: Redis): () => void {
    type Command = { name: string; promise: Promise<unknown> };
    type Send = (command: Command, ...rest: unknown[]) => unknown;
    const byName = new Map<string, { child: ReturnType<Histogram['labels']>; sent: number }>();
    const errors = this.redisErrors;
    const failed = () => errors.inc({ kind: 'command' });
    const client = redis as unknown as { sendCommand: Send };
    const own = Object.prototype.hasOwnProperty.call(client, 'sendCommand') ? client.sendCommand : undefined;
    const original = client.sendCommand.bind(redis);
    let watching = true;
    const watched: Send = (command, ...rest) => {
      if (!watching) return original(command, ...rest);
      let entry = byName.get(command.name);
      if (!entry) {
        entry = { child: this.redisLatency.labels(command.name.slice(0, 30)), sent: 0 };
        if (byName.size < 200) byName.set(command.name, entry);
      }
      if (entry.sent++ % REDIS_TIMED_EVERY === 0) {
        const started = performance.now();
        const timed = entry.child;
        const result = original(command, ...rest);
        command.promise.then(() => timed.observe((performance.now() - started) / 1000), failed);
        return result;
      }
      const result = original(command, ...rest);
      command.promise.catch(failed);
      return result;
    };
    client.sendCommand = watched;
    const connectionError = () => errors.inc({ kind: 'connection' });
    redis.on('error', connectionError);
    // Stops watching (an IdP closing on a store it shares, e.g. a CLI command's): the client is left
    // as it was, or, when another wrapper was put over this one since, passes straight through it.
    return () => {
      watching = false;
      redis.off('error', connectionError);
      if (client.sendCommand !== watched) return;
      if (own) client.sendCommand = own;
      else delete (client as { sendCommand?: Send }).sendCommand;
    };
  }

  /** Outermost middleware: the latency of every request, by route pattern. */
  httpMiddleware(): Koa.Middleware {
    return async (ctx, next) => {
      const started = process.hrtime.bigint();
      try {
        await next();
      } finally {
        const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute
          ?? (ctx as unknown as { oidc?: { route?: string } }).oidc?.route ?? 'other';
        this.http.observe({ route: String(route).slice(0, 60), method: ctx.method, status: String(ctx.status) }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
  }
}

/** GET /metrics: Prometheus text; with a token, only for `Authorization: Bearer <token>`. */
export function metricsRoute(router: Router, metrics: Metrics, token: string | undefined): void {
  router.get('/metrics', async (ctx) => {
    if (token) {
      const given = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1] ?? '';
      if (!safeEqual(given, token)) {
        ctx.status = 401;
        ctx.set('www-authenticate', 'Bearer');
        ctx.body = { error: 'unauthorized' };
        return;
      }
    }
    ctx.set('cache-control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
