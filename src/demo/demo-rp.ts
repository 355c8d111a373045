// A small relying party served at /demo outside production: it starts a login at a chosen level
// with openid-client (code + PKCE) and shows the ID token claims and userinfo it gets back.
import type Router from '@koa/router';
import type Koa from 'koa';
import * as oidc from 'openid-client';
import type { Services } from '../services.ts';
import { chooseLocale } from '../http/i18n.ts';
import { keys } from '../store/keys.ts';

export const DEMO_CLIENT_ID = 'demo';

export function demoClientMetadata(issuer: string) {
  return {
    client_id: DEMO_CLIENT_ID,
    client_name: 'Demo',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${issuer}/demo/cb`],
    post_logout_redirect_uris: [`${issuer}/demo`],
    grant_types: ['authorization_code', 'refresh_token'],
    first_party: true,
  };
}

export function demoRoutes(router: Router, s: Services): void {
  const issuer = s.config.issuer;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(issuer), DEMO_CLIENT_ID, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] })
      .catch((err: unknown) => { discovered = undefined; throw err; });
    return discovered;
  };
  const render = (ctx: Koa.Context, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = s.views.render('views/demo', chooseLocale(undefined, ctx.get('accept-language')), { levels: s.policy.supported(), ...data });
  };

  router.get('/demo', (ctx) => render(ctx, {}));

  router.get('/demo/login', async (ctx) => {
    const acr = String(ctx.query.acr ?? s.config.defaultAcr);
    const config = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await s.redis.set(keys.demo(state), JSON.stringify({ verifier, nonce }), 'EX', 600);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${issuer}/demo/cb`,
      scope: 'openid profile email phone fiscal_code treasury',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state, nonce, acr_values: acr,
    });
    ctx.redirect(url.href);
  });

  router.get('/demo/cb', async (ctx) => {
    const state = String(ctx.query.state ?? '');
    const saved = state ? await s.redis.getdel(keys.demo(state)) : null;
    if (!saved) return ctx.throw(400, 'error.session_not_found');
    if (ctx.query.error) {
      // What the client received, as a developer wants to see it.
      render(ctx, { error: `${String(ctx.query.error)}: ${String(ctx.query.error_description ?? '')}` });
      return;
    }
    const { verifier, nonce } = JSON.parse(saved) as { verifier: string; nonce: string };
    const config = await configuration();
    const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, issuer), {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
    });
    const claims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${issuer}/demo` });
    render(ctx, { claims: JSON.stringify(claims, null, 2), userinfo: JSON.stringify(userinfo, null, 2), acr: claims.acr, logout: logout.href });
  });
}
