// "Enter with SPID" in headless Chromium, in Italian and English: the identify page's SPID button,
// the chooser, the stand-in's page (screenshots at desktop and phone width, axe-core on each), back to
// the relying party with a code whose ID token says SpidL2; and a refusal page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { TEST_DATA } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorize, checkPage, CHROMIUM, launch, standInClient, type Violation } from '../helpers/pages.ts';
import { startSpidStub, type SpidStub } from '../helpers/spid.ts';

const L2 = 'https://www.spid.gov.it/SpidL2';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

describe.skipIf(!CHROMIUM)('Enter with SPID in a real browser', () => {
  let stub: SpidStub;
  let t: TestIdp;
  let browser: Browser;
  let client: Awaited<ReturnType<typeof standInClient>>;

  beforeAll(async () => {
    client = await standInClient();
    stub = await startSpidStub();
    const data = { ...TEST_DATA, clients: [...TEST_DATA.clients, { client_id: 'spid-rp', client_secret: 'spid-rp-secret-0123456789', redirect_uris: [client.callback], first_party: true }] };
    t = await startIdp({ env: { SPID_STUB: '1', SPID_STUB_URL: stub.url }, data });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await stub?.stop();
    await client?.close();
  });

  for (const lang of ['it', 'en'] as const) {
    const text = lang === 'it'
      ? { enter: 'Entra con SPID', submit: 'Accedi e acconsenti', cancel: 'L\'utente annulla', refused: /Hai annullato l'accesso/ }
      : { enter: 'Enter with SPID', submit: 'Sign in and consent', cancel: 'The user cancels', refused: /You cancelled the sign-in/ };

    it(`${lang}: identify page → chooser → stand-in at SpidL2 → back with acr SpidL2`, async () => {
      const context = await browser.newContext({ locale: lang });
      const page = await context.newPage();
      const found: Violation[] = [];
      try {
        // A loa:2 login: SPID is offered beside the identify page and asks the provider SpidL2.
        await page.goto(authorize(t.issuer, 'spid-rp', client.callback, { acr_values: 'urn:idp:loa:2', scope: 'openid spid', state: 'st-spid-browser-0123456789abcdef' }));
        await page.getByRole('button', { name: text.enter }).waitFor();
        found.push(...(await checkPage(page, lang, 'spid-identify')));
        await page.getByRole('button', { name: text.enter }).click();
        await page.getByRole('button', { name: 'SPID Test IdP' }).waitFor();
        found.push(...(await checkPage(page, lang, 'spid-chooser')));
        await page.getByRole('button', { name: 'SPID Test IdP' }).click();
        await page.waitForURL((u) => u.href.startsWith(stub.url));
        await page.getByRole('button', { name: text.submit }).waitFor();
        expect(await page.locator('input[name=level][checked]').getAttribute('value')).toBe('SpidL2');
        found.push(...(await checkPage(page, lang, 'spid-stand-in')));
        await page.getByRole('button', { name: text.submit }).click();
        await page.waitForURL((u) => u.href.startsWith(client.callback));
        const back = new URL(page.url());
        expect(back.searchParams.get('error')).toBeNull();
        const rp = await oidc.discovery(new URL(t.issuer), 'spid-rp', 'spid-rp-secret-0123456789', oidc.ClientSecretPost('spid-rp-secret-0123456789'), { execute: [oidc.allowInsecureRequests] });
        const tokens = await oidc.authorizationCodeGrant(rp, back, { pkceCodeVerifier: VERIFIER, expectedState: 'st-spid-browser-0123456789abcdef', expectedNonce: 'n-1' });
        expect(tokens.claims()).toMatchObject({ acr: L2, amr: ['fed', 'pwd', 'otp'] });
        expect(found).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);

    it(`${lang}: a cancelled sign-in at the provider ends on a page with a way forward and back`, async () => {
      const context = await browser.newContext({ locale: lang });
      const page = await context.newPage();
      try {
        await page.goto(authorize(t.issuer, 'spid-rp', client.callback, { acr_values: L2 }));
        await page.getByRole('button', { name: 'SPID Test IdP' }).click();
        await page.getByRole('button', { name: text.cancel }).click();
        await page.waitForURL((u) => u.href.startsWith(t.issuer));
        expect(await page.getByRole('alert').textContent()).toMatch(text.refused);
        const found = await checkPage(page, lang, 'spid-refused');
        expect(found).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
