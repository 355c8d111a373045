// Our router in front of oidc-provider, for our paths only: requests to the provider's own endpoints
// (/auth, /token, /jwks...), most of the traffic, skip matching against every route of ours. The
// paths are known by their first segment, read from the router's routes at the first request.
import type Router from '@koa/router';
import type Koa from 'koa';

const firstSegment = (path: string) => path.split('/', 2)[1] ?? '';

/** The first path segments of the router's routes, or null when one is not a fixed name. */
function roots(router: Router): Set<string> | null {
  const out = new Set<string>();
  for (const layer of router.stack) {
    const path = layer.path as unknown;
    const first = typeof path === 'string' && path.startsWith('/') ? firstSegment(path) : undefined;
    if (!first || /[^\w.-]/.test(first)) return null;
    out.add(first);
  }
  return out;
}

export function ownPaths(router: Router): Koa.Middleware {
  const routes = router.routes() as unknown as Koa.Middleware;
  const allowed = router.allowedMethods({ throw: true }) as unknown as Koa.Middleware;
  let known: Set<string> | null | undefined;
  return (ctx, next) => {
    if (known === undefined) known = roots(router);
    if (known && !known.has(firstSegment(ctx.path))) return next();
    return routes(ctx, () => allowed(ctx, next));
  };
}
