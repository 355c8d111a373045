// Security headers for every response; pages load nothing inline and nothing from elsewhere (their
// one script and their stylesheets come from this server's /assets/).
import type Koa from 'koa';

export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'no-referrer');
    ctx.set('x-frame-options', 'DENY');
    if (ctx.response.is('html')) {
      // No form-action: Chrome applies it to the redirects after a post, which go to the clients.
      ctx.set('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'");
    }
  };
}
