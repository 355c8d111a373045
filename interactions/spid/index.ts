// "Enter with SPID": a broker step to upstream SPID identity providers on the SPID OpenID Connect
// Federation profile (request objects, private_key_jwt, PKCE, trust chains to a trust anchor), our
// federation entity configuration, the SPID attributes behind the `spid` scope, and the bundled
// stand-in SPID identity provider (interactions/spid/stub, npm run spid-stub).
import { defineMethod } from '../../src/methods/method.ts';
import { MethodError } from '../../src/methods/install.ts';
import { SPID_CSS, spidProvider } from './claims.ts';
import { EC_PATH, STATEMENT_TYPE } from './federation.ts';
import { SPID_KEYS } from './keys.ts';
import { spidSettings, stubOn, upstreams } from './settings.ts';
import { runStandIn } from './stand-in.ts';
import { spidStep } from './step.ts';
import { ourEntityConfiguration } from './trust.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'spid',
  steps: [spidStep],
  settings: spidSettings,
  keys: SPID_KEYS,
  strings: { it, en },
  provider: spidProvider,
  routes(router, s) {
    router.get('/assets/spid.css', (ctx) => {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('cache-control', 'public, max-age=3600');
      ctx.body = SPID_CSS;
    });
    if (!upstreams(s.config).length) return;
    router.get(EC_PATH, async (ctx) => {
      ctx.type = STATEMENT_TYPE;
      ctx.set('cache-control', 'no-store');
      ctx.body = await ourEntityConfiguration(s);
    });
  },
  async start(s) {
    const settings = spidSettings.of(s.config);
    if (s.config.production && settings.stub) throw new MethodError('invalid setting SPID_STUB (methods.spid.stub): the stand-in SPID identity provider is for development and tests, not production');
    if (s.config.production && settings.plainUserinfo) throw new MethodError('invalid setting SPID_USERINFO_PLAIN (methods.spid.plainUserinfo): plain JSON userinfo is for the stand-in, not production (SPID providers sign and encrypt it)');
    if (s.config.production && upstreams(s.config).length && !settings.trustAnchorJwks) {
      throw new MethodError('invalid setting SPID_TRUST_ANCHOR_JWKS (methods.spid.trustAnchorJwks): required in production when SPID providers are configured');
    }
    // Not under the test runner: tests start their own stand-in on a free port (test/helpers/spid.ts).
    if (stubOn(s.config) && s.config.demo && !process.env.VITEST) runStandIn(s);
  },
});
