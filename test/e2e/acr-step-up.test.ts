// Levels of assurance: which acr a request gets, step-up of an existing session, essential acr.
// loa:2 needs a second factor; this file installs test methods whose steps fill the
// "<second-factor>" slot, through the same method contract the real ones use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as oidc from 'openid-client';
import { defineStep } from '../../src/flow/step.ts';
import { defineMethod, type MethodModule } from '../../src/methods/method.ts';
import { methods } from '../../interactions/index.ts';
import { Browser, formFields } from '../helpers/browser.ts';
import { CALLBACK, MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, login, relyingParty } from '../helpers/rp.ts';

function codeMethod(id: string, code: string, amr: string): MethodModule {
  const step = defineStep({
    id, kind: 'login', slot: 'second-factor', amr: [amr], requiresUser: true,
    form: z.object({ otp: z.string().max(10) }),
    async render() { return { view: 'test/helpers/code-page' }; },
    async action(_ctx, f) {
      if (f.otp === code) return { type: 'success' };
      return { type: 'failure', page: { view: 'test/helpers/code-page', error: 'password.rejected' } };
    },
  });
  return defineMethod({ id, steps: [step], strings: { it: { [`method.${id}`]: id }, en: { [`method.${id}`]: id } } });
}

let t: TestIdp;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startIdp({ options: { methods: [...methods, codeMethod('test-code', '123456', 'otp')] } });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

describe('requested level', () => {
  it('advertises only the levels it can deliver', async () => {
    expect(rp.serverMetadata().acr_values_supported).toEqual(['urn:idp:loa:1', 'urn:idp:loa:2']);
  });

  it('ignores acr_values it does not know and logs in at the default level', async () => {
    const tokens = await login(new Browser(t.issuer), rp, MARIO, { acr_values: 'urn:example:unknown' });
    expect(tokens.claims()!.acr).toBe('urn:idp:loa:1');
  });

  it('takes the first acr_values it can deliver, in the order given', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:example:unknown urn:idp:loa:3 urn:idp:loa:2' });
    const code = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(formFields(code)).toContain('otp');
    const done = await browser.submit(code, { otp: '123456' });
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()!.acr).toBe('urn:idp:loa:2');
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp']);
  });

  it('answers an essential acr it cannot deliver with unmet_authentication_requirements', async () => {
    const started = await authorizationUrl(rp, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'urn:idp:loa:3' } } }) });
    const page = await new Browser(t.issuer).go(started.url);
    const cb = new URL(page.left!);
    expect(cb.href).toContain(CALLBACK);
    expect(cb.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('meets an essential acr it can deliver', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:idp:loa:2'] } } }) });
    const code = await enterCredentials(browser, await browser.go(started.url), MARIO);
    const done = await browser.submit(code, { otp: '123456' });
    expect((await exchange(rp, started, done.left!)).claims()!.acr).toBe('urn:idp:loa:2');
  });
});

describe('step-up', () => {
  it('re-prompts a loa:1 session for loa:2 with only the missing second factor, keeps the user, and raises acr and amr', async () => {
    const browser = new Browser(t.issuer);
    const first = await login(browser, rp, MARIO);
    expect(first.claims()!.acr).toBe('urn:idp:loa:1');

    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const page = await browser.go(started.url);
    expect(page.left).toBeUndefined();
    // Same user, the password already proved by this session: straight to the second factor.
    expect(formFields(page)).toContain('otp');
    expect(formFields(page)).not.toContain('fiscal_code');
    expect(formFields(page)).not.toContain('password');
    const wrong = await browser.submit(page, { otp: '000000' });
    expect(wrong.status).toBe(401);
    const done = await browser.submit(wrong, { otp: '123456' });
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()!.sub).toBe(first.claims()!.sub);
    expect(tokens.claims()!.acr).toBe('urn:idp:loa:2');
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp']);

    // The session is now at loa:2: a loa:1 or loa:2 request needs no new login.
    for (const acr of ['urn:idp:loa:1', 'urn:idp:loa:2']) {
      const again = await browser.go((await authorizationUrl(rp, { acr_values: acr })).url);
      expect(again.left).toContain(CALLBACK);
    }

    // max_age=0: "this level for this login only": the whole login is asked again.
    const fresh = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2', max_age: '0' });
    const relogin = await browser.go(fresh.url);
    expect(relogin.left).toBeUndefined();
    expect(formFields(relogin)).toContain('password');
    const code = await enterCredentials(browser, relogin, MARIO);
    expect(formFields(code)).toContain('otp');
    const redone = await browser.submit(code, { otp: '123456' });
    const again = await exchange(rp, fresh, redone.left!);
    expect(again.claims()!.acr).toBe('urn:idp:loa:2');
    expect(again.claims()!.auth_time).toBeGreaterThanOrEqual(tokens.claims()!.auth_time!);
  });
});

describe('choice of second factor', () => {
  let t2: TestIdp;
  beforeAll(async () => {
    t2 = await startIdp({ options: { methods: [...methods, codeMethod('test-otp', '111111', 'otp'), codeMethod('test-card', '222222', 'swk')] } });
  });
  afterAll(async () => t2?.close());

  it('lets the user choose among the second factors offered and records the chosen one in amr', async () => {
    const rp2 = await relyingParty(t2.issuer);
    const browser = new Browser(t2.issuer);
    const started = await authorizationUrl(rp2, { acr_values: 'urn:idp:loa:2' });
    const choose = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(formFields(choose)).toContain('method');
    const bad = await browser.submit(choose, { method: 'nope' });
    expect(bad.status).toBe(400);
    const code = await browser.submit(bad, { method: 'test-card' });
    const done = await browser.submit(code, { otp: '222222' });
    expect((await exchange(rp2, started, done.left!)).claims()!.amr).toEqual(['pwd', 'swk']);
  });
});
