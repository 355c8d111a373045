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
    // The level is named in words; its acr URI is only in the markup.
    expect(page.doc.querySelector('#account-acr')?.getAttribute('data-acr')).toBe('urn:idp:loa:1');
    expect(page.doc.querySelector('#account-acr')?.text).toBe('Password');
    expect(page.doc.querySelector('main')?.text).not.toContain('urn:idp');
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

describe('back office level', () => {
  let t2: TestIdp;
  const STAFF = { fiscal_code: 'GLLLCU88D15H501E', password: 'Luca-Pass-1' };
  beforeAll(async () => {
    t2 = await startIdp({
      data: {
        clients: [{ client_id: 'rp', client_secret: 'rp-secret-0123456789', redirect_uris: ['http://127.0.0.1:9/cb'], first_party: true }],
        citizens: [
          { fiscal_code: STAFF.fiscal_code, password: STAFF.password, must_change: false, roles: ['backoffice'] },
          { fiscal_code: MARIO.fiscal_code, password: MARIO.password, must_change: false },
        ],
      },
    });
  });
  afterAll(async () => t2?.close());

  it('sends staff signed in with a password only to a step-up at loa:2, and refuses others at once', async () => {
    const rp = await relyingParty(t2.issuer);
    const staff = new Browser(t2.issuer);
    await login(staff, rp, STAFF);
    for (const path of ['/backoffice/companies', '/backoffice/requests']) {
      const res = await staff.raw(`${t2.url}${path}`);
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get('location')!).searchParams.get('acr_values')).toBe('urn:idp:loa:2');
    }
    const citizen = new Browser(t2.issuer);
    await login(citizen, rp, MARIO);
    for (const path of ['/backoffice/companies', '/backoffice/requests']) {
      expect((await citizen.raw(`${t2.url}${path}`)).status).toBe(403);
    }
  });
});
