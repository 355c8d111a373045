// Over HTTP, the two contract pieces the next methods need: a step that sends the user to an
// upstream provider and takes them back (GET /callback/<step> → the interaction's callback), and a
// prompt beyond login and consent (a confirmation) answered by a prompt step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { methods } from '../../interactions/index.ts';
import { defineStep } from '../../src/flow/step.ts';
import { defineMethod } from '../../src/methods/method.ts';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty } from '../helpers/rp.ts';

// The "upstream" is the IdP's own public callback URL, so the test's browser follows it here.
let issuer = '';
const upstream = defineMethod({
  id: 'fake-upstream',
  steps: [defineStep({
    id: 'fake-upstream', kind: 'login', amr: ['fed'], requiresUser: true, form: z.object({ go: z.literal('1') }),
    state: z.object({ state: z.string() }),
    async render() { return { view: 'test/helpers/code-page' }; },
    async action(ctx) {
      const state = `s-${ctx.uid}`;
      ctx.setState({ state });
      return { type: 'redirect', url: `${issuer}/callback/fake-upstream?state=${state}&code=upstream-code`, bind: state };
    },
    async callback(ctx, query) {
      if (query.state !== ctx.state?.state || query.code !== 'upstream-code') return { type: 'failure', page: { view: 'test/helpers/code-page', error: 'password.rejected' } };
      await ctx.audit({ event: 'login.upstream', outcome: 'success' });
      return { type: 'success' };
    },
  })],
});
const confirm = defineMethod({
  id: 'fake-confirm',
  steps: [defineStep({
    id: 'fake-confirm', kind: 'prompt', prompt: 'confirm', amr: [], requiresUser: false, form: z.object({ otp: z.string() }),
    async render() { return { view: 'test/helpers/code-page' }; },
    async action(_ctx, f) {
      return f.otp === 'yes' ? { type: 'success', outcome: { confirmed: true } } : { type: 'challenge', page: { view: 'test/helpers/code-page', error: 'form.invalid' } };
    },
  })],
  // Asked once a user is signed in, when the client asks for the "payments" claim in userinfo.
  prompts: [{
    name: 'confirm', description: 'the request needs a confirmation',
    check: (ctx) => !!ctx.oidc.session?.accountId && !ctx.oidc.result?.confirm && String(ctx.oidc.params?.claims ?? '').includes('confirm_me'),
  }],
});

let t: TestIdp;
beforeAll(async () => {
  const LEVELS = JSON.stringify([{ acr: 'urn:idp:loa:1', steps: ['identify', 'password'] }, { acr: 'urn:test:fed', steps: ['identify', 'password', 'fake-upstream'] }]);
  t = await startIdp({ env: { LEVELS, STRONG_ACR: 'urn:test:fed', BACKOFFICE_ACR: 'urn:test:fed' }, options: { methods: [...methods, upstream, confirm] } });
  issuer = t.issuer;
});
afterAll(async () => t?.close());

describe('upstream redirect and callback', () => {
  it('goes out and comes back to the same interaction, then finishes the login', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:test:fed' });
    const page = await enterCredentials(browser, await browser.go(started.url), MARIO);
    const back = await browser.submit(page, { go: '1' });
    expect(back.left).toBeDefined();
    expect(browser.lastStatuses).toContain(303);
    const claims = (await exchange(rp, started, back.left!)).claims();
    expect(claims).toMatchObject({ acr: 'urn:test:fed', amr: ['pwd', 'fed'] });
  });

  it('refuses a callback whose state no interaction sent', async () => {
    const browser = new Browser(t.issuer);
    const res = await browser.raw(`${t.issuer}/callback/fake-upstream?state=never-sent&code=x`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/start again|no longer valid|expired/i);
  });
});

describe('a prompt beyond login and consent', () => {
  it('is asked after the login and answered by its step', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { claims: JSON.stringify({ userinfo: { confirm_me: null } }) });
    const afterLogin = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(afterLogin.left).toBeUndefined();
    expect(afterLogin.url).toMatch(/\/interaction\//);
    const refused = await browser.submit(afterLogin, { otp: 'no' });
    expect(refused.status).toBe(400);
    const done = await browser.submit(refused, { otp: 'yes' });
    expect(done.left).toBeDefined();
    expect((await exchange(rp, started, done.left!)).claims()?.sub).toBeDefined();
  });
});
