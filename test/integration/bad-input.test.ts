// Bad input of every kind gets a 4xx with a clear message, never a 5xx or a stack trace, and
// changes no counter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser, type Page } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
let rp: oidc.Configuration;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

beforeAll(async () => {
  t = await startIdp({ overrides: { demo: true } });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

function csrfOf(page: Page): string {
  return page.doc.querySelector('input[name=csrf]')!.getAttribute('value')!;
}

async function atPassword(): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(t.issuer);
  const first = await browser.go((await authorizationUrl(rp)).url);
  const page = await browser.submit(first, { fiscal_code: MARIO.fiscal_code });
  return { browser, page };
}

function expectClear4xx(page: Page | Response, body: string, status?: number) {
  const got = page.status;
  if (status) expect(got).toBe(status);
  expect(got).toBeGreaterThanOrEqual(400);
  expect(got).toBeLessThan(500);
  expect(body).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  expect(body.length).toBeGreaterThan(20);
}

describe('interaction forms', () => {
  it('answers every kind of bad post to the password page with a 4xx and counts nothing', async () => {
    const { browser, page } = await atPassword();
    const action = new URL(page.doc.querySelector('form')!.getAttribute('action')!, page.url).href;
    const csrf = csrfOf(page);
    const cases: { name: string; body?: string | Uint8Array; headers?: Record<string, string>; status: number; says?: RegExp }[] = [
      { name: 'no body', body: '', headers: FORM, status: 403, says: /no longer valid/ },
      { name: 'no csrf', body: 'password=x', headers: FORM, status: 403, says: /no longer valid/ },
      { name: 'wrong csrf', body: `csrf=${'A'.repeat(32)}&password=x`, headers: FORM, status: 403 },
      { name: 'missing password', body: `csrf=${csrf}`, headers: FORM, status: 400, says: /password/ },
      { name: 'empty password', body: `csrf=${csrf}&password=`, headers: FORM, status: 400, says: /Enter your password/ },
      { name: 'repeated field', body: `csrf=${csrf}&password=a&password=b`, headers: FORM, status: 400, says: /password/ },
      { name: 'nested field', body: `csrf=${csrf}&password[x]=1`, headers: FORM, status: 400 },
      { name: 'oversized field', body: `csrf=${csrf}&password=${'x'.repeat(300)}`, headers: FORM, status: 400, says: /too long/ },
      { name: 'oversized body', body: `csrf=${csrf}&password=${'x'.repeat(40_000)}`, headers: FORM, status: 413, says: /larger than allowed/ },
      { name: 'json body', body: JSON.stringify({ csrf, password: 'x' }), headers: { 'content-type': 'application/json' }, status: 415 },
      { name: 'no content type', body: `csrf=${csrf}&password=x`, headers: {}, status: 415 },
      { name: 'garbled encoding', body: `csrf=${csrf}&password=%E0%A4%A&%%%`, headers: FORM, status: 400, says: /not correctly encoded/ },
      { name: 'escaped invalid utf-8', body: `csrf=${csrf}&password=%FF%FE`, headers: FORM, status: 400, says: /not correctly encoded/ },
      { name: 'raw bytes', body: Buffer.concat([Buffer.from(`csrf=${csrf}&password=`), Buffer.from([0xff, 0xfe, 0xfd])]), headers: FORM, status: 400 },
      { name: 'prototype keys', body: `csrf=${csrf}&__proto__=x&constructor=y`, headers: FORM, status: 400, says: /password/ },
    ];
    for (const c of cases) {
      const res = await browser.raw(action, { method: 'POST', body: c.body as string, headers: c.headers });
      const body = await res.text();
      expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: c.status });
      expectClear4xx(res, body);
      if (c.says) expect(body, c.name).toMatch(c.says);
    }
    expect((await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal'))?.failures).toBe(0);
    // And the login still works.
    expect((await browser.submit(page, { password: MARIO.password })).left).toBeTruthy();
  });

  it('refuses a malformed identity with a message naming what is wrong', async () => {
    const browser = new Browser(t.issuer);
    const page = await browser.go((await authorizationUrl(rp)).url);
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /either your fiscal code or your company code/],
      [{ fiscal_code: 'RSSMRA85T10A562X' }, /fiscal code is not valid/],
      [{ fiscal_code: 'not a code' }, /fiscal code is not valid/],
      [{ company_code: '1234' }, /company code is 8 digits/],
      [{ company_code: '12345678', operator_code: 'bad code!' }, /operator code is 1 to 20/],
      [{ fiscal_code: MARIO.fiscal_code, company_code: '12345678' }, /either your fiscal code or your company code/],
    ];
    let current = page;
    for (const [fields, says] of cases) {
      current = await browser.submit(current, fields);
      expect(current.status).toBe(400);
      expect(current.alert).toMatch(says);
    }
  });

  it('shows a "start again" page for an unknown or finished interaction', async () => {
    const browser = new Browser(t.issuer);
    for (const path of ['/interaction/doesnotexist', '/interaction/..%2F..%2Fetc']) {
      const page = await browser.go(`${t.url}${path}`);
      expectClear4xx(page, page.html, 400);
      expect(page.html).toMatch(/start signing in again/);
      expect(page.doc.querySelector('a.button')?.getAttribute('href')).toBe('/account');
    }
    // A post with a token that is not this browser's: refused before anything else, with a way back.
    const forged = await browser.raw(`${t.url}/interaction/doesnotexist`, { method: 'POST', body: 'csrf=x&password=y', headers: FORM });
    const forgedBody = await forged.text();
    expectClear4xx(forged, forgedBody, 403);
    expect(forgedBody).toMatch(/start signing in again/);
    // With this browser's own token, an unknown interaction is a "start again" page.
    const { browser: b2, page } = await atPassword();
    const csrf = csrfOf(page);
    const post = await b2.raw(`${t.url}/interaction/doesnotexist`, { method: 'POST', body: `csrf=${csrf}&password=y`, headers: FORM });
    expectClear4xx(post, await post.text(), 400);
    const abort = await b2.raw(`${t.url}/interaction/doesnotexist/abort`, { method: 'POST', body: `csrf=${csrf}`, headers: FORM });
    expectClear4xx(abort, await abort.text(), 400);
  });

  it('refuses an abort without the form\'s token', async () => {
    const { browser, page } = await atPassword();
    const action = new URL(page.doc.querySelector('form')!.getAttribute('action')!, page.url).href;
    const res = await browser.raw(`${action}/abort`, { method: 'POST', body: 'csrf=nope', headers: FORM });
    expectClear4xx(res, await res.text(), 403);
    // The login goes on.
    const done = await browser.submit(page, { password: MARIO.password });
    expect(done.left).toBeTruthy();
  });
});

describe('other routes', () => {
  const cases: [string, string, Record<string, string> | undefined, string | undefined, number][] = [
    ['GET', '/auth', undefined, undefined, 400],
    ['GET', '/auth?client_id=nope&response_type=code&scope=openid&redirect_uri=http://x', undefined, undefined, 400],
    ['GET', '/auth?client_id=rp&response_type=token&scope=openid&redirect_uri=http://127.0.0.1:9/cb', undefined, undefined, 303],
    ['POST', '/token', FORM, 'grant_type=authorization_code&code=garbage', 400],
    ['POST', '/token', { 'content-type': 'application/json' }, '{', 400],
    ['POST', '/token', FORM, '%%%', 400],
    ['GET', '/me', undefined, undefined, 401],
    ['GET', '/session/end?id_token_hint=garbage', undefined, undefined, 400],
    ['GET', '/nowhere', undefined, undefined, 404],
    ['DELETE', '/interaction/x', undefined, undefined, 405],
    ['GET', '/demo/cb', undefined, undefined, 400],
    ['GET', '/demo/cb?state=unknown&code=x', undefined, undefined, 400],
  ];
  for (const [method, path, headers, body, status] of cases) {
    it(`${method} ${path.slice(0, 60)} → ${status}`, async () => {
      const res = await fetch(`${t.url}${path}`, { method, headers: { accept: 'text/html', ...headers }, body, redirect: 'manual' });
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
      // No dead end: an HTML error page links somewhere (a redirect or a JSON answer is not a page).
      if (status >= 400 && res.headers.get('content-type')?.startsWith('text/html')) expect(text).toMatch(/<a [^>]*href="\/account"/);
    });
  }
});
