// Passkeys in a real browser: Debian's Chromium through playwright-core, with a virtual authenticator
// (Chrome DevTools Protocol: WebAuthn.enable, WebAuthn.addVirtualAuthenticator with a resident key
// and user verification). A passkey is created from the credentials page (after a step-up with the
// Security Card), then used as the second factor after the password, then alone (passwordless); a
// cancelled request and a browser without WebAuthn get their message. Every page is kept as a PNG in
// test/artefacts/ in Italian and in English. The issuer is http://localhost:PORT: browsers refuse an
// IP address as WebAuthn relying-party id.
import { CHROMIUM, launch } from '../helpers/pages.ts';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createIdp, ROOT, type Idp } from '../../src/app.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { cardsOf, type Card } from '../../interactions/card/cards.ts';
import { passkeysOf } from '../../interactions/passkey/passkeys.ts';
import { freePort } from '../global-setup.ts';
import { testConfig } from '../helpers/idp.ts';
import { authorizationUrl, exchange, relyingParty } from '../helpers/rp.ts';

const ARTEFACTS = path.join(ROOT, 'test', 'artefacts');
const USERS = {
  it: { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123', id: 'C.RSSMRA85T10A562S' },
  en: { fiscal_code: 'BNCNNA90A41F205W', password: 'Anna-Pass-1', id: 'C.BNCNNA90A41F205W' },
} as const;

describe.skipIf(!CHROMIUM)('passkeys in a real browser', () => {
  let idp: Idp;
  let issuer: string;
  let browser: Browser;
  let rpServer: http.Server;
  let CALLBACK = '';

  beforeAll(async () => {
    // A stand-in relying party on loopback that just shows what it received.
    rpServer = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('callback'); });
    await new Promise<void>((r) => rpServer.listen(0, '127.0.0.1', r));
    CALLBACK = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}/cb`;
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    idp = await createIdp(testConfig({ port, issuer }));
    const data = {
      clients: [{ client_id: 'pk', client_secret: 'pk-secret-0123456789', redirect_uris: [CALLBACK], first_party: true, accepted_methods: ['card', 'passkey'] }],
      citizens: [
        { fiscal_code: USERS.it.fiscal_code, password: USERS.it.password, must_change: false, given_name: 'Mario', family_name: 'Rossi' },
        { fiscal_code: USERS.en.fiscal_code, password: USERS.en.password, must_change: false, given_name: 'Anna', family_name: 'Bianchi' },
      ],
    };
    await applyImport(parseImport(JSON.stringify(data), 'test', idp.services), idp.services, idp.provider);
    await idp.listen(port, '127.0.0.1');
    browser = await launch();
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await new Promise((r) => rpServer?.close(r));
  });

  /** A tab with a virtual platform authenticator. */
  async function tab(lang: 'it' | 'en') {
    const context = await browser.newContext({ locale: lang === 'it' ? 'it-IT' : 'en-GB' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    // A browser without conditional UI when the page's origin says so (see conditionalUi).
    await page.addInitScript(() => {
      if (localStorage.getItem('no-conditional-ui') === '1') PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const blocked: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused/.test(m.text())) blocked.push(m.text()); });
    page.on('pageerror', (e) => blocked.push(e.message));
    return { context, page, cdp, authenticatorId, blocked };
  }

  /** Whether the next pages of the issuer's origin have conditional UI (autofill of passkeys). */
  async function conditionalUi(page: Page, on: boolean) {
    if (!page.url().startsWith(issuer)) await page.goto(`${issuer}/healthz`);
    await page.evaluate((off) => (off ? localStorage.setItem('no-conditional-ui', '1') : localStorage.removeItem('no-conditional-ui')), !on);
  }

  const shot = (page: Page, name: string, lang: string) => page.screenshot({ path: path.join(ARTEFACTS, `passkey-${name}.${lang}.png`), fullPage: true });
  const submit = (page: Page) => page.click('form[method=post] button[type=submit]:not([formaction])');

  async function answerCard(page: Page, card: Card) {
    const cells = await page.locator('[data-cell]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cell'))));
    await page.fill('input[name=card_1]', card.values[cells[0]! - 1]!);
    await page.fill('input[name=card_2]', card.values[cells[1]! - 1]!);
    await submit(page);
  }

  for (const lang of ['it', 'en'] as const) {
    it(`creates a passkey from the credentials page, then logs in with password + passkey and with the passkey alone (${lang})`, async () => {
      const user = USERS[lang];
      const card = await cardsOf(idp.services).issue(user.id);
      const { context, page, cdp, authenticatorId, blocked } = await tab(lang);
      try {
        // The passkeys page needs loa:2: the login offers the passkey beside the identify form, and the card.
        await page.goto(`${issuer}/account/passkeys`);
        await expect.poll(() => page.locator('#passkey-start').isVisible()).toBe(true);
        expect(await page.locator('#passkey-status').count()).toBe(0); // the autofill request finding nothing says nothing
        await shot(page, 'identify', lang);
        await page.fill('input[name=fiscal_code]', user.fiscal_code);
        await page.fill('input[name=password]', user.password);
        await submit(page);
        await page.waitForSelector('[data-cell]');
        await answerCard(page, card);
        await page.waitForURL(`${issuer}/account/passkeys`);
        expect(await page.locator('#passkey-none').count()).toBe(1);

        await page.fill('#passkey-name', 'Laptop');
        await shot(page, 'account-empty', lang);
        await page.click('#passkey-create');
        await page.waitForURL(/\/account\/passkeys\?done=added$/);
        expect(await page.locator('.passkey-name').allTextContents()).toEqual(['Laptop']);
        await shot(page, 'account-added', lang);
        const [stored] = await passkeysOf(idp.services).list(user.id);
        expect(stored).toMatchObject({ name: 'Laptop', aaguid: '01020304-0506-0708-0102-030405060708', transports: ['internal'] });
        // The authenticator holds a discoverable credential for this relying party.
        const held = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
        expect(held.credentials.map((c) => ({ rpId: c.rpId, resident: c.isResidentCredential }))).toEqual([{ rpId: 'localhost', resident: true }]);

        // Rename it; the credentials page counts it.
        await page.fill('input[id^=rename-]', 'Work laptop');
        await page.click('section[data-passkey] button[type=submit]:not([formaction])');
        await page.waitForURL(/done=renamed$/);
        expect(await page.locator('.passkey-name').allTextContents()).toEqual(['Work laptop']);
        await page.goto(`${issuer}/account/credentials`);
        expect(await page.locator('#passkey-count').textContent()).toBe('1');

        // A new login at loa:2 for a service that accepts passkeys: password, then the passkey. (The
        // virtual authenticator would answer the identify page's autofill request at once: this part
        // plays a browser without conditional UI, which shows the button only.)
        await conditionalUi(page, false);
        await context.clearCookies();
        const rp = await relyingParty(issuer, 'pk', 'pk-secret-0123456789');
        const started = await authorizationUrl(rp, { redirect_uri: CALLBACK, acr_values: 'urn:idp:loa:2' });
        await page.goto(started.url);
        await page.fill('input[name=fiscal_code]', user.fiscal_code);
        await page.fill('input[name=password]', user.password);
        await submit(page);
        await page.waitForSelector('input[name=method]');
        await shot(page, 'choose', lang);
        await page.check('input[name=method][value=passkey]');
        await page.click('button[type=submit]');
        await page.waitForSelector('#passkey-form');
        await shot(page, 'second-factor', lang);
        await page.click('#passkey-start');
        await page.waitForURL((u) => u.href.startsWith(CALLBACK));
        const tokens = await exchange(rp, started, page.url());
        expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'hwk', 'user'] });

        // The user cancels (here: the authenticator cannot verify the user): a clear message.
        await context.clearCookies();
        await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
        const alone = await authorizationUrl(rp, { redirect_uri: CALLBACK, acr_values: 'urn:idp:loa:2' });
        await page.goto(alone.url);
        await page.click('#passkey-start');
        await expect.poll(() => page.locator('#passkey-status').textContent()).toMatch(lang === 'it' ? /non è stata usata/ : /was not used/);
        await shot(page, 'cancelled', lang);

        // Passwordless: the passkey alone, from the identify page's button...
        await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
        await page.click('#passkey-start');
        await page.waitForURL((u) => u.href.startsWith(CALLBACK));
        const claims = (await exchange(rp, alone, page.url())).claims()!;
        expect(claims).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['hwk', 'user', 'mfa'] });
        expect(claims.sub).toBe(tokens.claims()!.sub);

        // ... and from the user-name field's autofill (conditional UI), which the authenticator answers.
        await conditionalUi(page, true);
        await context.clearCookies();
        const autofill = await authorizationUrl(rp, { redirect_uri: CALLBACK });
        await page.goto(autofill.url);
        await page.waitForURL((u) => u.href.startsWith(CALLBACK));
        expect((await exchange(rp, autofill, page.url())).claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['hwk', 'user', 'mfa'] });
        expect((await passkeysOf(idp.services).list(user.id))[0]!.lastUsedAt).toBeDefined();

        // "Delete mobile credentials" (the session is at loa:2 from the passkey) removes it too.
        await page.goto(`${issuer}/account/credentials`);
        await shot(page, 'credentials', lang);
        await page.goto(`${issuer}/account/credentials/delete-mobile`);
        await submit(page);
        await page.waitForSelector('[role=status]');
        expect(await passkeysOf(idp.services).list(user.id)).toEqual([]);
        expect(blocked).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('tells a browser without WebAuthn to sign in another way', async () => {
    const { context, page } = await tab('en');
    try {
      await page.addInitScript(() => { Reflect.deleteProperty(window, 'PublicKeyCredential'); });
      const rp = await relyingParty(issuer, 'pk', 'pk-secret-0123456789');
      await page.goto((await authorizationUrl(rp, { redirect_uri: CALLBACK })).url);
      await expect.poll(() => page.locator('#passkey-status').textContent()).toMatch(/cannot use passkeys/);
      expect(await page.locator('#passkey-start').isDisabled()).toBe(true);
      await shot(page, 'unsupported', 'en');
    } finally {
      await context.close();
    }
  });
});
