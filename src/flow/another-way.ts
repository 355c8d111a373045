// "Try another way": on the page of a second factor picked among several, the user goes back to the
// choice (the choice is forgotten; nothing else of the login changes).
import type Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Redis } from 'ioredis';
import { keepFlow, postedFlow } from './interaction-post.ts';

export function anotherWayRoutes(router: Router, provider: Provider, redis: Redis, form: Koa.Middleware[]): void {
  router.post('/interaction/:uid/another-way', ...form, async (ctx) => {
    const { details, flow } = await postedFlow(ctx, provider, redis);
    if (!flow.pending.length) delete flow.choices[String(flow.index)];
    await keepFlow(redis, details, flow);
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
  });
}
