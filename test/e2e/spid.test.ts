// "Enter with SPID" end to end: openid-client as our relying party, our IdP as the SPID broker, the
// stand-in SPID identity provider in its own process, and back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { MARIO } from '../helpers/data.ts';
import { authorizationUrl, exchange, login, relyingParty } from '../helpers/rp.ts';
import { startSpidStub, throughStandIn, type SpidStub } from '../helpers/spid.ts';

const L1 = 'https://www.spid.gov.it/SpidL1';
const L2 = 'https://www.spid.gov.it/SpidL2';
const FISCAL = 'https://attributes.eid.gov.it/fiscal_number';

let stub: SpidStub;
let t: TestIdp;
beforeAll(async () => {
  stub = await startSpidStub();
  t = await startIdp({ env: { SPID_STUB: '1', SPID_STUB_URL: stub.url } });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await stub?.stop();
});

async function spidLogin(params: Record<string, string>, choice: Parameters<typeof throughStandIn>[3] = {}) {
  const rp = await relyingParty(t.issuer);
  const browser = new Browser(t.issuer);
  const started = await authorizationUrl(rp, params);
  const chooser = await browser.go(started.url);
  const { stubPage, back } = await throughStandIn(browser, stub.url, chooser, choice);
  return { rp, browser, started, chooser, stubPage, back };
}

describe('Enter with SPID', () => {
  it('a client asking SpidL2 gets the chooser, the stand-in, and an ID token at SpidL2 with amr fed and the fiscal code', async () => {
    const { rp, chooser, stubPage, back, started } = await spidLogin({ acr_values: L2, scope: 'openid spid fiscal_code' }, { level: 'SpidL2' });
    expect(chooser.status).toBe(200);
    expect(chooser.doc.querySelectorAll('button[name=idp]').map((b) => b.getAttribute('value'))).toEqual(['stub']);
    expect(stubPage.html).toContain('SpidL2');
    expect(back.left, back.alert).toBeDefined();
    const tokens = await exchange(rp, started, back.left!);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(L2);
    expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'pwd', 'otp']));
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ fiscal_code: 'RSSMRA85T10A562S', [FISCAL]: 'TINIT-RSSMRA85T10A562S', given_name: 'Mario', family_name: 'Rossi' });
    expect(String(info['https://attributes.eid.gov.it/spid_code'])).toMatch(/^STUB/);
    // The profile's userinfo: signed, then encrypted to our key (from our federation metadata).
    expect(stub.lines.join('\n')).toContain('userinfo answered as encrypted JWT');
  });

  it('lists the SPID levels in discovery', async () => {
    const rp = await relyingParty(t.issuer);
    expect(rp.serverMetadata().acr_values_supported).toEqual(expect.arrayContaining([L1, L2, 'https://www.spid.gov.it/SpidL3', 'urn:idp:loa:1']));
  });

  it('offers "Enter with SPID" on the identify page: a loa:1 login ends at SpidL1 with the upstream\'s amr', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { scope: 'openid spid' });
    const identify = await browser.go(started.url);
    const form = identify.doc.querySelector('#spid form');
    expect(form?.querySelector('button.spid-button')?.text).toContain('Enter with SPID');
    const body = new URLSearchParams({ csrf: form!.querySelector('input[name=csrf]')!.getAttribute('value')!, step: 'spid' });
    const chooser = await browser.go(new URL(form!.getAttribute('action')!, identify.url).href, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(chooser.title).toBe('Enter with SPID');
    const { stubPage, back } = await throughStandIn(browser, stub.url, chooser);
    expect(stubPage.doc.querySelector('input[name=level][checked]')?.getAttribute('value')).toBe('SpidL1');
    const claims = (await exchange(rp, started, back.left!)).claims()!;
    expect(claims).toMatchObject({ acr: L1, amr: ['fed', 'pwd'] });
  });

  it('a step-up to SpidL2 of a password session goes to SPID, and must come back as the same person', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    await login(browser, rp, MARIO);
    // Another person at the provider: refused, the session's user is kept.
    const other = await authorizationUrl(rp, { acr_values: L2 });
    const chooser = await browser.go(other.url);
    expect(chooser.title).toBe('Enter with SPID');
    const { back: refusedPage } = await throughStandIn(browser, stub.url, chooser, { identity: 'FRRGLI75C12L219X' });
    expect(refusedPage.status).toBe(403);
    expect(refusedPage.alert).toMatch(/not the one of your current session/);
    // The same person: signed in at SpidL2, same subject.
    const started = await authorizationUrl(rp, { acr_values: L2 });
    const { back } = await throughStandIn(browser, stub.url, await browser.go(started.url), { identity: 'RSSMRA85T10A562S' });
    const claims = (await exchange(rp, started, back.left!)).claims()!;
    expect(claims).toMatchObject({ acr: L2 });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'fed', 'otp']));
  });

  it('a SpidL1 session asked for SpidL2 goes to SPID again; asked for loa:2, it gets our password page', async () => {
    const { rp, browser, started, back } = await spidLogin({ acr_values: L1 }, { level: 'SpidL1' });
    expect((await exchange(rp, started, back.left!)).claims()).toMatchObject({ acr: L1 });
    // The session's amr has the upstream's `fed` and `pwd`: neither stands for our steps.
    const higher = await authorizationUrl(rp, { acr_values: L2 });
    const chooser = await browser.go(higher.url);
    expect(chooser.left).toBeUndefined();
    expect(chooser.title).toBe('Enter with SPID');
    const loa2 = await browser.go((await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' })).url);
    expect(loa2.left).toBeUndefined();
    expect(loa2.doc.querySelector('input[name=password]')).not.toBeNull();
  });

  it('refuses a SpidL1 answer when SpidL2 was asked', async () => {
    const { back } = await spidLogin({ acr_values: L2 }, { outcome: 'lower' });
    expect(back.left).toBeUndefined();
    expect(back.status).toBe(400);
    expect(back.alert).toMatch(/lower SPID security level/);
    expect((await t.idp.services.audit.recent(1, { event: 'login.spid' }))[0]).toMatchObject({ outcome: 'failure', reason: expect.stringMatching(/SpidL1 below .*SpidL2/) });
  });

  // Each error case of the stand-in's page: a clear page, an audit event, nobody signed in.
  it.each([
    ['cancel', 401, /You cancelled the sign-in/, /upstream error access_denied \(SPID 25\)/],
    ['failed', 401, /did not recognise you/, /upstream error access_denied$/],
    ['attempts', 401, /too many failed attempts \(SPID error 19\)/, /SPID 19/],
    ['identity_type', 401, /SPID error 30/, /SPID 30/],
    ['expired', 400, /failed our security checks/, /exp/i],
    ['badsig', 400, /failed our security checks/, /signature/i],
    ['badnonce', 400, /failed our security checks/, /nonce/i],
  ])('outcome %s ends in a clear page', async (outcome, status, message, reason) => {
    const { back } = await spidLogin({ acr_values: L2 }, { outcome });
    expect(back.left).toBeUndefined();
    expect(back.status).toBe(status);
    expect(back.alert).toMatch(message);
    expect(back.doc.querySelectorAll('form button').map((b) => b.text.trim())).toEqual(['Try again', 'Back to the service']);
    expect((await t.idp.services.audit.recent(1, { event: 'login.spid' }))[0]).toMatchObject({ outcome: 'failure', reason: expect.stringMatching(reason) });
  });

  it.each([
    ['BNCLRA92E45F205F', 403, /We have no customer with the fiscal code/],
    ['CSTLCU60M01D612B', 400, /fiscal code your identity provider sent is not valid/],
    ['no-fiscal-number', 400, /did not send your fiscal code/],
  ])('refuses identity %s (unknown without SPID_JIT, wrong check character, no fiscal number)', async (identity, status, message) => {
    const { back } = await spidLogin({ acr_values: L2 }, { identity });
    expect(back.left).toBeUndefined();
    expect(back.status).toBe(status);
    expect(back.alert).toMatch(message);
  });

  it('"Try again" after a refusal shows the chooser again, and the spent state cannot be replayed', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: L2 });
    const chooser = await browser.go(started.url);
    const out = await browser.submit(chooser, { idp: 'stub' });
    const stubBrowser = new Browser(stub.url);
    const answered = await stubBrowser.submit(await stubBrowser.go(out.left!), { outcome: 'cancel', identity: 'RSSMRA85T10A562S', level: 'SpidL2' });
    const refusedPage = await browser.go(answered.left!);
    expect(refusedPage.status).toBe(401);
    const replay = await browser.go(answered.left!);
    expect(replay.status).toBe(400);
    expect(replay.alert).toMatch(/matches no sign-in in progress/);
    const again = await browser.submit(replay, {});
    expect(again.status).toBe(200);
    expect(again.title).toBe('Enter with SPID');
  });

  it('a callback with no state, or one that names another browser\'s login, signs nobody in (4xx)', async () => {
    const browser = new Browser(t.issuer);
    const none = await browser.go(`${t.issuer}/callback/spid?code=abc`);
    expect(none.status).toBe(400);
    expect((await t.idp.services.audit.recent(1, { event: 'login.callback' }))[0]).toMatchObject({ outcome: 'failure', reason: 'no state', subject: 'spid' });
    // Alice goes to the stand-in; Mallory's browser brings back Alice's answer.
    const rp = await relyingParty(t.issuer);
    const alice = new Browser(t.issuer);
    const chooser = await alice.go((await authorizationUrl(rp, { acr_values: L2 })).url);
    const out = await alice.submit(chooser, { idp: 'stub' });
    const stubBrowser = new Browser(stub.url);
    const answered = await stubBrowser.submit(await stubBrowser.go(out.left!), { outcome: 'ok', identity: 'RSSMRA85T10A562S', level: 'SpidL2' });
    const mallory = new Browser(t.issuer);
    const stolen = await mallory.go(answered.left!);
    expect(stolen.left).toBeUndefined();
    expect(stolen.status).toBeGreaterThanOrEqual(400);
    expect(stolen.status).toBeLessThan(500);
  });

  it('an unreachable provider at the token endpoint ends in a clear page', async () => {
    const other = await startSpidStub();
    const idp = await startIdp({ env: { SPID_STUB: '1', SPID_STUB_URL: other.url, SPID_TIMEOUT_MS: '2000' } });
    try {
      const rp = await relyingParty(idp.issuer);
      const browser = new Browser(idp.issuer);
      const chooser = await browser.go((await authorizationUrl(rp, { acr_values: L2 })).url);
      const out = await browser.submit(chooser, { idp: 'stub' });
      const request = decodeJwt(new URL(out.left!).searchParams.get('request')!);
      await other.stop();
      const back = await browser.go(`${idp.issuer}/callback/spid?code=some-code&state=${String(request.state)}&iss=${encodeURIComponent(other.url)}`);
      expect(back.status).toBe(400);
      expect(back.alert).toMatch(/does not answer/);
    } finally {
      await idp.close();
      await other.stop();
    }
  });

  it('the chooser answers an unknown or overlong provider id with a 400 and the list again', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const chooser = await browser.go((await authorizationUrl(rp, { acr_values: L2 })).url);
    const unknown = await browser.submit(chooser, { idp: 'nobody' });
    expect(unknown.status).toBe(400);
    expect(unknown.alert).toMatch(/Choose a provider from the list/);
    expect(unknown.doc.querySelectorAll('button[name=idp]')).toHaveLength(1);
    const long = await browser.submit(chooser, { idp: 'x'.repeat(500) });
    expect(long.status).toBe(400);
    expect(long.left).toBeUndefined();
  });

  it('refuses a plain JSON userinfo unless SPID_USERINFO_PLAIN is set', async () => {
    const plain = await startSpidStub({ SPID_STUB_PLAIN_USERINFO: '1' });
    try {
      for (const [accept, ok] of [['0', false], ['1', true]] as const) {
        const idp = await startIdp({ env: { SPID_STUB: '1', SPID_STUB_URL: plain.url, SPID_USERINFO_PLAIN: accept } });
        try {
          const rp = await relyingParty(idp.issuer);
          const browser = new Browser(idp.issuer);
          const started = await authorizationUrl(rp, { acr_values: L2 });
          const { back } = await throughStandIn(browser, plain.url, await browser.go(started.url));
          if (ok) expect((await exchange(rp, started, back.left!)).claims()).toMatchObject({ acr: L2 });
          else expect(back.alert).toMatch(/failed our security checks/);
        } finally {
          await idp.close();
        }
      }
    } finally {
      await plain.stop();
    }
  });

  it('the request object it sends follows the profile', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const chooser = await browser.go((await authorizationUrl(rp, { acr_values: L2 })).url);
    const out = new URL((await browser.submit(chooser, { idp: 'stub' })).left!);
    expect([...out.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
    const ec = decodeJwt(await (await fetch(`${t.issuer}/.well-known/openid-federation`)).text());
    const rpMeta = (ec.metadata as Record<string, Record<string, unknown>>).openid_relying_party!;
    const { payload, protectedHeader } = await jwtVerify(out.searchParams.get('request')!, createLocalJWKSet(rpMeta.jwks as JSONWebKeySet), { issuer: t.issuer, audience: stub.url });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ client_id: t.issuer, response_type: 'code', scope: 'openid', prompt: 'consent login', acr_values: L2, code_challenge_method: 'S256', redirect_uri: `${t.issuer}/callback/spid` });
    expect(String(payload.nonce).length).toBeGreaterThanOrEqual(32);
    expect(String(payload.state).length).toBeGreaterThanOrEqual(32);
    expect((payload.claims as { userinfo: object }).userinfo).toHaveProperty([FISCAL]);
  });

  it('publishes its entity configuration, signed with the keys it lists', async () => {
    const res = await fetch(`${t.issuer}/.well-known/openid-federation`);
    expect(res.headers.get('content-type')).toMatch(/application\/entity-statement\+jwt/);
    const jwt = await res.text();
    const claimed = decodeJwt(jwt);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(claimed.jwks as JSONWebKeySet), { issuer: t.issuer, subject: t.issuer, typ: 'entity-statement+jwt' });
    expect(protectedHeader.typ).toBe('entity-statement+jwt');
    expect(payload.authority_hints).toEqual([stub.anchor]);
    expect((payload.metadata as Record<string, Record<string, unknown>>).openid_relying_party).toMatchObject({
      client_id: t.issuer, redirect_uris: [`${t.issuer}/callback/spid`], token_endpoint_auth_method: 'private_key_jwt', client_registration_types: ['automatic'],
    });
  });
});
