// Security headers for every response; pages load nothing inline and nothing from elsewhere (their
// scripts and stylesheets come from this server, and page scripts talk only to it).
import type Koa from 'koa';

// hstsMaxAge: Strict-Transport-Security on every response served over TLS (as the trusted proxy
// says, with TRUST_PROXY); 0 for none.
export function securityHeaders(hstsMaxAge = 0): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (hstsMaxAge > 0 && ctx.secure) ctx.set('strict-transport-security', `max-age=${hstsMaxAge}; includeSubDomains`);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'no-referrer');
    ctx.set('x-frame-options', 'DENY');
    if (ctx.response.type === 'text/html') {
      // No form-action: Chrome applies it to the redirects after a post, which go to the clients.
      ctx.set('content-security-policy', "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'");
    }
  };
}
