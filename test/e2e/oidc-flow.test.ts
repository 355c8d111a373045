// A relying party (openid-client) logs users in against the running provider on Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser, formFields } from '../helpers/browser.ts';
import { CALLBACK, LOGGED_OUT, MARIO, OPERATOR, VERDI } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, login, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startIdp();
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

describe('code flow with PKCE', () => {
  it('logs a citizen in and puts acr, amr, auth_time and sub in the ID token', async () => {
    const before = Math.floor(Date.now() / 1000);
    const tokens = await login(new Browser(t.issuer), rp, MARIO);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:idp:loa:1');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves userinfo with the profile claims for the access token', async () => {
    const tokens = await login(new Browser(t.issuer), rp, MARIO);
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ given_name: 'Mario', family_name: 'Rossi', name: 'Mario Rossi' });
  });

  it('refreshes tokens with the refresh token and keeps the subject', async () => {
    const tokens = await login(new Browser(t.issuer), rp, MARIO);
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.sub).toBe(tokens.claims()!.sub);
  });

  it('logs an operator in by company code and operator code, with company claims', async () => {
    const tokens = await login(new Browser(t.issuer), rp, OPERATOR, { scope: 'openid treasury' });
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ company_code: '12345678', operator_code: 'MARIO', role: 'operator' });
  });

  it('takes user and password in one post from the first page', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp);
    const page = await browser.go(started.url);
    expect(formFields(page)).toEqual(expect.arrayContaining(['fiscal_code', 'password']));
    const wrong = await browser.submit(page, { fiscal_code: MARIO.fiscal_code, password: 'Wrong-pass-1' });
    expect(wrong.status).toBe(401);
    expect(wrong.alert).toMatch(/Wrong user or password/);
    expect(formFields(wrong)).not.toContain('fiscal_code');
    const done = await browser.submit(wrong, { password: MARIO.password });
    expect((await exchange(rp, started, done.left!)).claims()!.amr).toEqual(['pwd']);
    await t.idp.services.passwords.unlock(`C.${MARIO.fiscal_code}`, 'personal');

    const b2 = new Browser(t.issuer);
    const s2 = await authorizationUrl(rp);
    const oneGo = await b2.submit(await b2.go(s2.url), { fiscal_code: MARIO.fiscal_code, password: MARIO.password });
    expect(oneGo.left).toContain(CALLBACK);
  });

  it('offers the form fields of the automation contract', async () => {
    const browser = new Browser(t.issuer);
    const page = await browser.go((await authorizationUrl(rp)).url);
    expect(formFields(page)).toEqual(expect.arrayContaining(['fiscal_code', 'company_code', 'operator_code']));
    const pwd = await browser.submit(page, { fiscal_code: MARIO.fiscal_code });
    expect(formFields(pwd)).toContain('password');
  });
});

describe('single sign-on and re-authentication', () => {
  it('reuses the session without asking again', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, rp, MARIO);
    const started = await authorizationUrl(rp);
    const page = await browser.go(started.url);
    expect(page.left).toContain(CALLBACK);
  });

  it('prompt=login asks for the credentials again and gives a new auth_time', async () => {
    const browser = new Browser(t.issuer);
    const first = await login(browser, rp, MARIO);
    await new Promise((r) => setTimeout(r, 1100));
    const started = await authorizationUrl(rp, { prompt: 'login' });
    const page = await browser.go(started.url);
    expect(page.left).toBeUndefined();
    expect(formFields(page)).toContain('fiscal_code');
    const done = await enterCredentials(browser, page, MARIO);
    const again = await exchange(rp, started, done.left!);
    expect(again.claims()!.auth_time).toBeGreaterThan(first.claims()!.auth_time!);
  });

  it('max_age older than the session asks again; a generous max_age does not', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, rp, MARIO);
    const fresh = await browser.go((await authorizationUrl(rp, { max_age: '3600' })).url);
    expect(fresh.left).toContain(CALLBACK);
    await new Promise((r) => setTimeout(r, 1100));
    const stale = await browser.go((await authorizationUrl(rp, { max_age: '0' })).url);
    expect(stale.left).toBeUndefined();
    expect(formFields(stale)).toContain('fiscal_code');
  });
});

describe('logout', () => {
  it('RP-initiated logout ends the session and returns to the client', async () => {
    const browser = new Browser(t.issuer);
    const tokens = await login(browser, rp, MARIO);
    const url = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT });
    const confirm = await browser.go(url.href);
    expect(confirm.status).toBe(200);
    const form = confirm.doc.querySelector('form#op\\.logoutForm') ?? confirm.doc.querySelector('form');
    const action = new URL(form!.getAttribute('action')!, url).href;
    const xsrf = form!.querySelector('input[name=xsrf]')!.getAttribute('value')!;
    const done = await browser.go(action, {
      method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(done.left).toContain(LOGGED_OUT);
    // The session is gone: a new authorization asks who you are.
    const page = await browser.go((await authorizationUrl(rp)).url);
    expect(formFields(page)).toContain('fiscal_code');
  });
});

describe('required actions', () => {
  it('forces a change of a password issued by someone else, then logs in with the new one', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp);
    const change = await enterCredentials(browser, await browser.go(started.url), VERDI);
    expect(formFields(change)).toEqual(expect.arrayContaining(['new_password', 'new_password_confirm']));
    const same = await browser.submit(change, { new_password: VERDI.password, new_password_confirm: VERDI.password });
    expect(same.status).toBe(400);
    expect(same.alert).toMatch(/differ/);
    const weak = await browser.submit(same, { new_password: 'short', new_password_confirm: 'short' });
    expect(weak.alert).toMatch(/too short/);
    const mismatch = await browser.submit(weak, { new_password: 'Nuova-Pass-1', new_password_confirm: 'Nuova-Pass-2' });
    expect(mismatch.alert).toMatch(/differ/);
    const done = await browser.submit(mismatch, { new_password: 'Nuova-Pass-1', new_password_confirm: 'Nuova-Pass-1' });
    expect(done.left).toContain(CALLBACK);
    await exchange(rp, started, done.left!);
    // The new password works and is not asked to be changed again; the old one is refused.
    await login(new Browser(t.issuer), rp, { ...VERDI, password: 'Nuova-Pass-1' });
    const other = new Browser(t.issuer);
    const old = await enterCredentials(other, await other.go((await authorizationUrl(rp)).url), VERDI);
    expect(old.status).toBe(401);
    expect(old.alert).toMatch(/Wrong user or password/);
  });
});

describe('consent', () => {
  it('asks a third-party client\'s user for consent, and not a first-party one\'s', async () => {
    const third = await relyingParty(t.issuer, 'third', 'third-secret-0123456789');
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(third, { scope: 'openid profile email' });
    const consent = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(consent.title).toMatch(/Allow access/);
    expect(consent.html).toContain('Third Party');
    const done = await browser.submit(consent, {});
    const tokens = await exchange(third, started, done.left!);
    expect(tokens.claims()!.sub).toBeTruthy();
  });

  it('denying consent returns access_denied to the client', async () => {
    const third = await relyingParty(t.issuer, 'third', 'third-secret-0123456789');
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(third);
    const consent = await enterCredentials(browser, await browser.go(started.url), MARIO);
    const action = consent.doc.querySelector('form')!.getAttribute('action')!;
    const done = await browser.submit(consent, {}, { formaction: `${action}/abort` });
    expect(new URL(done.left!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('ID token signature', () => {
  it('signs with ES256 for clients that register no algorithm when ID_TOKEN_ALG=ES256', async () => {
    const es = await startIdp({ overrides: { idTokenAlg: 'ES256' } });
    try {
      const tokens = await login(new Browser(es.issuer), await relyingParty(es.issuer), MARIO);
      const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string };
      expect(header.alg).toBe('ES256');
    } finally {
      await es.close();
    }
  });

  it('signs with RS256 by default', async () => {
    const tokens = await login(new Browser(t.issuer), rp, MARIO);
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()).alg).toBe('RS256');
  });
});
