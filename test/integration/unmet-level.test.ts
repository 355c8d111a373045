// No dead end: a level this user cannot reach is a page with a way back, and the client hears of it
// (unmet_authentication_requirements, or a lower acr when it accepts one); "try another way"; the
// step indicator; the credentials page offers only what the user can complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formFields } from '../helpers/browser.ts';
import { CALLBACK, MARIO, OPERATOR, TEST_DATA } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty } from '../helpers/rp.ts';
import { enrolApp, MARIO_ID, printCard } from '../helpers/second-factor-data.ts';
import { totpOf } from '../../interactions/totp/devices.ts';

let t: TestIdp;
const DATA = {
  ...TEST_DATA,
  clients: [...TEST_DATA.clients, { client_id: 'lenient', client_secret: 'lenient-secret-0123456789', client_name: 'Portale', redirect_uris: [CALLBACK], first_party: true, accept_lower_acr: true }],
};
const ESSENTIAL_LOA2 = JSON.stringify({ id_token: { acr: { essential: true, value: 'urn:idp:loa:2' } } });

beforeAll(async () => { t = await startIdp({ data: DATA }); });
afterAll(async () => t?.close());

async function operatorAt(clientId: string, secret: string, params: Record<string, string>) {
  const rp = await relyingParty(t.issuer, clientId, secret);
  const browser = new Browser(t.issuer);
  const started = await authorizationUrl(rp, params);
  const page = await enterCredentials(browser, await browser.go(started.url), OPERATOR);
  return { rp, browser, started, page };
}

describe('a level the user cannot reach', () => {
  it('explains it and goes back to the client with unmet_authentication_requirements', async () => {
    const { browser, started, page } = await operatorAt('rp', 'rp-secret-0123456789', { acr_values: 'urn:idp:loa:2' });
    expect(page.status).toBe(403);
    expect(page.title).toBe('A stronger sign-in is needed');
    expect(page.html).toContain('Password and a second factor');
    expect(page.html).not.toMatch(/urn:idp/);
    expect(page.doc.querySelector('form[method=post]')?.getAttribute('action')).toMatch(/\/interaction\/[\w-]+\/unmet$/);
    const back = await browser.submit(page, {});
    const callback = new URL(back.left!);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('state')).toBe(started.state);
    const event = (await t.idp.services.audit.query({ count: 1, filter: { event: 'login.acr' } }))[0];
    expect(event).toMatchObject({ outcome: 'failure', subject: 'O.12345678.MARIO', client: 'rp' });
  });

  it('finishes at the level reached, said in acr, for a client that accepts it when the level was voluntary', async () => {
    const { rp, browser, started, page } = await operatorAt('lenient', 'lenient-secret-0123456789', { acr_values: 'urn:idp:loa:2' });
    expect(page.status).toBe(403);
    const back = await browser.submit(page, {});
    const tokens = await exchange(rp, started, back.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:1', amr: ['pwd'] });
  });

  it('never lowers an essential level, even for that client', async () => {
    const { browser, page } = await operatorAt('lenient', 'lenient-secret-0123456789', { claims: ESSENTIAL_LOA2 });
    const back = await browser.submit(page, {});
    expect(new URL(back.left!).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('refuses the way back from a login that is not at that page, or without the form token', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const page = await browser.go((await authorizationUrl(rp)).url);
    const action = new URL(page.doc.querySelector('form')!.getAttribute('action')!, page.url).href;
    const csrf = page.doc.querySelector('input[name=csrf]')!.getAttribute('value')!;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await browser.raw(`${action}/unmet`, { method: 'POST', body: `csrf=${csrf}`, headers: form })).status).toBe(409);
    expect((await browser.raw(`${action}/unmet`, { method: 'POST', body: 'csrf=forged', headers: form })).status).toBe(403);
    // The login goes on.
    expect((await enterCredentials(browser, page, MARIO)).left).toContain(CALLBACK);
  });
});

describe('the login\'s pages', () => {
  it('say "Step 1 of 2" on a login of two pages, nothing on a login of one', async () => {
    const rp = await relyingParty(t.issuer);
    const two = await new Browser(t.issuer).go((await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' })).url);
    expect(two.doc.querySelector('.progress')?.text).toBe('Step 1 of 2');
    const one = await new Browser(t.issuer).go((await authorizationUrl(rp)).url);
    expect(one.doc.querySelector('.progress')).toBeNull();
  });

  it('offer "try another way" on a second factor picked among several, back to the choice', async () => {
    await printCard(t, MARIO_ID);
    await enrolApp(t, MARIO_ID);
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const choose = await enterCredentials(browser, await browser.go((await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' })).url), MARIO);
    expect(formFields(choose)).toContain('method');
    const cardPage = await browser.submit(choose, { method: 'card' });
    expect(cardPage.doc.querySelectorAll('[data-cell]').length).toBe(2);
    const another = cardPage.doc.querySelector('button[formaction$="/another-way"]');
    expect(another).toBeTruthy();
    const again = await browser.submit(cardPage, {}, { formaction: another!.getAttribute('formaction')! });
    expect(again.doc.querySelectorAll('input[name=method]').map((i) => i.getAttribute('value')).sort()).toEqual(['card', 'totp']);
    const app = await browser.submit(again, { method: 'totp' });
    expect(formFields(app)).toContain('totp');
    expect(app.doc.querySelector('button[formaction$="/another-way"]')).toBeTruthy();
  });

  it('offer no "try another way" when the user has one second factor only', async () => {
    const rp = await relyingParty(t.issuer, 'lenient', 'lenient-secret-0123456789');
    await totpOf(t.idp.services).remove(MARIO_ID);
    const browser = new Browser(t.issuer);
    const cardPage = await enterCredentials(browser, await browser.go((await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' })).url), MARIO);
    expect(cardPage.doc.querySelectorAll('[data-cell]').length).toBe(2);
    expect(cardPage.doc.querySelector('button[formaction$="/another-way"]')).toBeNull();
  });
});

describe('the credentials page', () => {
  it('offers card printing and app set-up only to who can sign in with a second factor', async () => {
    const operator = new Browser(t.issuer);
    const page = await enterCredentials(operator, await operator.go(`${t.url}/account/credentials`), OPERATOR);
    expect(page.doc.querySelector('#strong-missing')).toBeTruthy();
    expect(page.doc.querySelectorAll('a[href^="/account/totp"], a[href^="/account/card"], a[href$="/delete-mobile"]').length).toBe(0);
    const citizen = new Browser(t.issuer);
    const own = await enterCredentials(citizen, await citizen.go(`${t.url}/account/credentials`), MARIO);
    expect(own.doc.querySelector('#strong-missing')).toBeNull();
    expect(own.doc.querySelector('a[href="/account/card"]')).toBeTruthy();
    expect(own.doc.querySelector('a[href="/account/totp/setup"]')).toBeTruthy();
  });
});
