// One id per request, carried into every log line (pino mixin) and audit event of that request, and
// returned in X-Request-Id. An X-Request-Id from a trusted proxy (TRUST_PROXY) is kept when it is
// well-formed; otherwise the IdP makes one. Each request ends with one access-log line (no query
// string, no body, no header: nothing secret).
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { currentRequest, runRequest } from './page-context.ts';
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return currentRequest()?.id;
}

export function requestContext(log: Logger, trustProxy: number): Koa.Middleware {
  return (ctx, next) => {
    const given = trustProxy > 0 ? ctx.get('x-request-id') : '';
    const id = WELL_FORMED.test(given) ? given : randomUUID();
    ctx.set('x-request-id', id);
    const started = process.hrtime.bigint();
    return runRequest({ ctx, id }, async () => {
      try {
        await next();
      } finally {
        if (log.isLevelEnabled('info')) {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
        }
      }
    });
  };
}
