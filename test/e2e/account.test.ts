// The account pages use the IdP's own session: log in once, and they know you.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { enterCredentials, login, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp(); });
afterAll(async () => t?.close());

describe('/account', () => {
  it('asks who you are, then shows your page', async () => {
    const browser = new Browser(t.issuer);
    const first = await browser.go(`${t.url}/account`);
    const page = await enterCredentials(browser, first, MARIO);
    expect(page.url).toBe(`${t.issuer}/account`);
    expect(page.doc.querySelector('#account-id')?.text).toBe(MARIO.fiscal_code);
    expect(page.doc.querySelector('#account-acr')?.text).toBe('urn:idp:loa:1');
  });

  it('uses an existing SSO session without asking again', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, await relyingParty(t.issuer), MARIO);
    const page = await browser.go(`${t.url}/account`);
    expect(page.doc.querySelector('#account-id')?.text).toBe(MARIO.fiscal_code);
  });

  it('refuses a callback it did not start', async () => {
    const page = await new Browser(t.issuer).go(`${t.url}/account/cb?state=forged&code=x`);
    expect(page.status).toBe(400);
  });
});
