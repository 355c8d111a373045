// Every page of every flow, as a person meets it, in Italian and in English, in a real browser
// (Debian's Chromium): axe-core finds no WCAG 2.2 A/AA or best-practice violation at desktop and
// phone width, nothing scrolls sideways on a phone, and a screenshot of each page at both widths is
// kept in test/artefacts/pages/<lang>/ for a person to look at. Along the way: the form that comes
// back whole after a format error, the dead end that is gone, "try another way", the step indicator,
// the wait before a new code, the confirmation pages, the way back from the final pages.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { saveClient } from '../../src/store/oidc-adapter.ts';
import { keys } from '../../src/store/keys.ts';
import { demoClientMetadata } from '../../src/demo/demo-rp.ts';
import type { Card } from '../../interactions/card/cards.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { awaitMessage, ANNA, BRUNO, PAOLA, LUCA } from '../helpers/member-data.ts';
import { enrolApp, MARIO_ID, printCard, totpCode } from '../helpers/second-factor-data.ts';
import { authorize, checkPage, CHROMIUM, launch, standInClient, type Violation } from '../helpers/pages.ts';
import { FILES as UPLOADS } from '../helpers/upload.ts';

const MARIO = { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123' };
const VERDI = { fiscal_code: 'VRDGPP80A01H501U', password: 'Primo-Accesso-1' };
const ACME = '12345678';

function pagesData(callback: string) {
  const citizen = (c: { fiscal_code: string; password: string; email?: string; phone?: string; member_code?: string }, extra: Record<string, unknown> = {}) => ({
    fiscal_code: c.fiscal_code, password: c.password, must_change: false, given_name: 'Test', family_name: 'Person',
    ...(c.email ? { email: c.email } : {}), ...(c.phone ? { phone: c.phone } : {}), ...(c.member_code ? { member_code: c.member_code } : {}), ...extra,
  });
  return {
    clients: [
      { client_id: 'web', client_secret: 'web-secret-0123456789', client_name: 'Home Banking', redirect_uris: [callback], first_party: true },
      { client_id: 'lenient', client_secret: 'lenient-secret-0123456789', client_name: 'Portale Informativo', redirect_uris: [callback], first_party: true, accept_lower_acr: true },
      { client_id: 'partner', client_secret: 'partner-secret-0123456789', client_name: 'Assicurazioni Partner', redirect_uris: [callback] },
    ],
    citizens: [
      citizen(MARIO, { given_name: 'Mario', family_name: 'Rossi', email: 'mario.rossi@example.org' }),
      citizen(VERDI, { must_change: true }),
      citizen(ANNA), citizen(BRUNO, { secure_channel: 'sms' }), citizen(PAOLA, { secure_channel: 'email' }),
      citizen(LUCA, { secure_channel: 'email', roles: ['backoffice'] }),
    ],
    companies: [{
      code: ACME, name: 'ACME S.p.A.', activation_password: 'PIPPO138', admin_password: '0123456789',
      accounts: [{ number: '0000012345', functions: ['balance', 'payments'] }, { number: '0000067890', functions: ['balance'] }],
      operators: [{ code: 'MARIO', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false, accounts: ['0000012345'], functions: ['balance'] }],
    }],
  };
}

for (const lang of ['it', 'en'] as const) {
  describe.skipIf(!CHROMIUM)(`every page in a real browser (${lang})`, () => {
    let t: TestIdp;
    let client: Awaited<ReturnType<typeof standInClient>>;
    let browser: Browser;
    let card: Card;
    let appSecret: string;
    const outbox = path.join(mkdtempSync(path.join(os.tmpdir(), 'idp-pages-')), 'outbox.jsonl');
    const docs = mkdtempSync(path.join(os.tmpdir(), 'idp-pages-docs-'));

    beforeAll(async () => {
      client = await standInClient();
      t = await startIdp({ data: pagesData(client.callback), overrides: { demo: true, delivery: { outboxFile: outbox }, documents: { dir: docs, maxBytes: 100_000, retentionDays: 90 } } });
      await saveClient(t.idp.provider, demoClientMetadata(t.issuer));
      card = await printCard(t, MARIO_ID);
      appSecret = await enrolApp(t, MARIO_ID);
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await client?.close();
    });

    /** A fresh browser (no cookies) speaking this language. */
    async function person(): Promise<{ context: BrowserContext; page: Page; check(name: string): Promise<void>; found: Violation[] }> {
      const context = await browser.newContext({ locale: lang === 'it' ? 'it-IT' : 'en-GB' });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const found: Violation[] = [];
      return { context, page, found, check: async (name) => { found.push(...(await checkPage(page, lang, name))); } };
    }
    const submit = async (page: Page, selector = 'main form[method=post] .actions button[type=submit]') => {
      await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
    };
    const atClient = async (page: Page) => {
      await page.waitForURL((u) => u.href.startsWith(client.callback));
      return new URL(page.url()).searchParams;
    };
    const citizenOf = (c: { fiscal_code: string; password: string }) => ({ fiscal_code: c.fiscal_code, password: c.password });
    const signIn = async (page: Page, who: Record<string, string>) => {
      for (const [name, value] of Object.entries(who)) await page.fill(`input[name=${name}]`, value);
      await submit(page);
    };
    const code = async (to: string, kind: string) => (await awaitMessage(outbox, to, kind)).code!;
    const t_ = (key: string, params?: Record<string, string | number>) => t.idp.services.views.strings.t(lang, key, params);

    it('sign-in: a format error keeps the whole form, a wrong password is tied to its field, then the client gets a code', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      expect(await p.page.getAttribute('html', 'lang')).toBe(lang);
      await p.check('identify');
      await signIn(p.page, { fiscal_code: 'ABC', password: 'anything' });
      // The same page, whole: the typed value, the password field, the help links; the error tied to its field.
      await p.check('identify-format-error');
      expect(await p.page.inputValue('#fiscal_code')).toBe('ABC');
      expect(await p.page.getAttribute('#fiscal_code', 'aria-invalid')).toBe('true');
      expect(await p.page.getAttribute('#fiscal_code', 'aria-describedby')).toContain('fiscal_code-error');
      expect(await p.page.textContent('#fiscal_code-error')).toBe(t_('identify.fiscal_code_invalid'));
      expect(await p.page.getAttribute('[role=alert] a', 'href')).toBe('#fiscal_code');
      expect(await p.page.inputValue('#password')).toBe('');
      expect(await p.page.getAttribute('#password', 'autocomplete')).toBe('current-password');
      expect(await p.page.getAttribute('#fiscal_code', 'autocomplete')).toBe('username');
      expect(await p.page.getAttribute('main form[method=post]', 'autocomplete')).toBeNull();
      expect(await p.page.locator('a[href^="/forgot-password"]').count()).toBe(1);
      // The password's "show" button (the page's script makes it visible) shows and hides it.
      await p.page.fill('#password', 'visible?');
      await p.page.click('button[data-reveal=password]');
      expect(await p.page.getAttribute('#password', 'type')).toBe('text');
      await p.page.click('button[data-reveal=password]');
      expect(await p.page.getAttribute('#password', 'type')).toBe('password');

      await signIn(p.page, { fiscal_code: MARIO.fiscal_code, password: 'Wrong-123' });
      await p.check('password-wrong');
      expect(await p.page.getAttribute('#password', 'aria-invalid')).toBe('true');
      await signIn(p.page, { password: MARIO.password });
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('second factor: the choice, "step 2 of 2", "try another way", the card and the app', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback, { acr_values: 'urn:idp:loa:2' }));
      await signIn(p.page, MARIO);
      await p.check('choose-method');
      expect(await p.page.textContent('.progress')).toBe(t_('app.progress', { current: 2, total: 2 }));
      await p.page.check('input[name=method][value=card]');
      await submit(p.page);
      await p.check('card');
      await submit(p.page, 'button[formaction$="/another-way"]');
      expect(await p.page.locator('input[name=method]').count()).toBe(2);
      await p.page.check('input[name=method][value=totp]');
      await submit(p.page);
      await p.check('totp');
      expect(await p.page.getAttribute('#totp', 'autocomplete')).toBe('one-time-code');
      // The next time step: the one of now was used to set the app up.
      await signIn(p.page, { totp: await totpCode(appSecret, Date.now() + 30_000) });
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('a code by email: "send a new code" is disabled while the code is valid, the wait in minutes and seconds', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback, { acr_values: 'urn:idp:loa:2' }));
      await signIn(p.page, citizenOf(PAOLA));
      await p.check('otp');
      expect(await p.page.isDisabled('button[name=resend]')).toBe(true);
      expect(await p.page.textContent('#resend-wait')).toMatch(lang === 'it' ? /\d+ minut[oi]/ : /\d+ minutes?/);
      await signIn(p.page, { otp: await code(PAOLA.email, 'otp_login') });
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('no dead end: a level the user cannot reach is explained, and the client hears of it', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback, { acr_values: 'urn:idp:loa:2' }));
      await signIn(p.page, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
      await p.check('unmet-level');
      expect(await p.page.textContent('main')).toContain('Home Banking');
      expect(await p.page.textContent('main')).not.toContain('urn:idp');
      await submit(p.page);
      const back = await atClient(p.page);
      expect(back.get('error')).toBe('unmet_authentication_requirements');
      expect(back.get('state')).toBe('st-1');
      // A client that accepts a lower level: the same page offers to go on, and the client gets a code.
      await p.page.goto(authorize(t.issuer, 'lenient', client.callback, { acr_values: 'urn:idp:loa:2', prompt: 'login' }));
      await signIn(p.page, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
      await p.check('unmet-level-lower');
      await submit(p.page);
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('a password to change at first login: each mistake tied to its field', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      await signIn(p.page, VERDI);
      await p.check('change-password');
      expect(await p.page.getAttribute('#new_password', 'autocomplete')).toBe('new-password');
      await signIn(p.page, { new_password: 'Nuova-Pass-1', new_password_confirm: 'Nuova-Pass-2' });
      await p.check('change-password-mismatch');
      expect(await p.page.getAttribute('#new_password_confirm', 'aria-invalid')).toBe('true');
      await signIn(p.page, { new_password: 'Nuova-Pass-1', new_password_confirm: 'Nuova-Pass-1' });
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('a notice before leaving: the password expires soon', async () => {
      const p = await person();
      const credential = keys.credential(`O.${ACME}.MARIO`, 'operator');
      const expires = await t.idp.services.redis.hget(credential, 'expiresAt');
      await t.idp.services.redis.hset(credential, 'expiresAt', String(Date.now() + 3 * 86_400_000));
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      await signIn(p.page, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
      await p.check('password-expiring');
      expect(await p.page.textContent('[role=status]')).toMatch(/3/);
      await submit(p.page);
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await t.idp.services.redis.hset(credential, 'expiresAt', expires ?? '0');
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('secure channel registration, then the personal password, told the truth about the first-access one', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      await signIn(p.page, citizenOf(ANNA));
      await p.check('secure-channel-choose');
      await p.page.check('input[name=channel][value=email]');
      await submit(p.page);
      await p.check('secure-channel-code');
      await signIn(p.page, { otp: await code(ANNA.email, 'otp_register') });
      await p.check('change-password-first-access');
      expect(await p.page.textContent('main')).toContain(t_('change_password.reason.first_access'));
      await signIn(p.page, { new_password: 'Anna-Nuova-1!', new_password_confirm: 'Anna-Nuova-1!' });
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('consent and sign-out name the service, not the host', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'partner', client.callback, { scope: 'openid profile email' }));
      await signIn(p.page, MARIO);
      await p.check('consent');
      expect(await p.page.textContent('main')).toContain('Assicurazioni Partner');
      await submit(p.page);
      expect((await atClient(p.page)).get('code')).toBeTruthy();
      await p.page.goto(`${t.issuer}/session/end?client_id=partner`);
      await p.check('logout');
      expect(await p.page.textContent('main')).toContain('Assicurazioni Partner');
      expect(await p.page.textContent('main')).not.toContain('127.0.0.1');
      await Promise.all([p.page.waitForNavigation(), p.page.click('button[name=logout]')]);
      await p.check('logout-done');
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('the account pages: credentials, password, card printing, the app set-up, removal and deletion with a confirmation', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/account`);
      await signIn(p.page, MARIO);
      await p.check('account');
      await p.page.goto(`${t.issuer}/account/credentials`);
      await p.check('credentials');
      expect(await p.page.getAttribute('#card-issued time', 'datetime')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(await p.page.textContent('#card-issued')).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
      await p.page.goto(`${t.issuer}/account/password/personal`);
      await p.check('self-password');
      await signIn(p.page, { password: 'Wrong-123', new_password: 'Mario-Nuova-1!', new_password_confirm: 'Mario-Nuova-1!' });
      await p.check('self-password-wrong');
      expect(await p.page.getAttribute('#password', 'aria-invalid')).toBe('true');
      // Printing needs a second factor: the step-up asks only for it (the session has the password), then comes back here.
      await p.page.goto(`${t.issuer}/account/card`);
      expect(await p.page.locator('input[name=fiscal_code]').count()).toBe(0);
      expect(await p.page.locator('input[name=password]').count()).toBe(0);
      await p.check('step-up-choose');
      await p.page.check('input[name=method][value=card]');
      await submit(p.page);
      const cells = await p.page.locator('[data-cell]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cell'))));
      await signIn(p.page, { card_1: card.values[cells[0]! - 1]!, card_2: card.values[cells[1]! - 1]! });
      expect(p.page.url()).toBe(`${t.issuer}/account/card`);
      await p.check('card-print');
      await submit(p.page);
      await p.check('card-printed');
      const download = await p.page.getAttribute('#card-download', 'href');
      const pdf = await p.context.request.get(`${t.issuer}${download}`);
      expect(pdf.headers()['content-disposition']).toContain(lang === 'it' ? 'filename="tabella-security-card-' : 'filename="security-card-');
      await p.page.goto(`${t.issuer}/account/totp/setup`);
      await p.check('totp-setup');
      // The key in groups of four, a copy button, a link for the app on this phone, the URI as text.
      const key = (await p.page.textContent('#totp-key'))!;
      expect(key).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
      expect(await p.page.isVisible('button[data-copy=totp-key]')).toBe(true);
      expect(await p.page.getAttribute('#totp-link', 'href')).toMatch(/^otpauth:\/\/totp\//);
      expect(await p.page.textContent('#totp-uri')).toContain(`secret=${key.replace(/ /g, '')}`);
      await p.page.goto(`${t.issuer}/account/totp/sync`);
      await p.check('totp-sync');
      await p.page.goto(`${t.issuer}/account/totp/remove`);
      await p.check('totp-remove');
      await submit(p.page);
      await p.check('totp-removed');
      await p.page.goto(`${t.issuer}/account/credentials/delete-mobile`);
      await p.check('delete-mobile');
      await submit(p.page);
      await p.check('delete-mobile-done');
      expect(await p.page.locator('main a[href="/account/credentials"]').count()).toBe(1);
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('an operator without a second factor is offered nothing it cannot complete', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/account/credentials`);
      await signIn(p.page, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
      await p.check('credentials-no-second-factor');
      expect(await p.page.locator('#strong-missing').count()).toBe(1);
      expect(await p.page.locator('a[href^="/account/totp"], a[href^="/account/card"], a[href$="/delete-mobile"]').count()).toBe(0);
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('a member changes a contact: the form keeps what was typed, the request is received, with a way back', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/account/contact`);
      await signIn(p.page, citizenOf(BRUNO));
      await p.check('contact');
      await p.page.check('input[name=channel][value=email]');
      await p.page.fill('#contact', 'bruno.new@example.org');
      await p.page.fill('#contact_confirm', 'bruno.other@example.org');
      await p.page.setInputFiles('#document', { name: UPLOADS.png.name, mimeType: UPLOADS.png.type, buffer: UPLOADS.png.data });
      await submit(p.page);
      await p.check('contact-error');
      expect(await p.page.inputValue('#contact')).toBe('bruno.new@example.org');
      expect(await p.page.isChecked('input[name=channel][value=email]')).toBe(true);
      expect(await p.page.getAttribute('#contact_confirm', 'aria-invalid')).toBe('true');
      await p.page.fill('#contact_confirm', 'bruno.new@example.org');
      await p.page.setInputFiles('#document', { name: UPLOADS.png.name, mimeType: UPLOADS.png.type, buffer: UPLOADS.png.data });
      await submit(p.page);
      await p.check('contact-received');
      expect(await p.page.locator('main a[href="/account"]').count()).toBe(1);
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('the public pages: help, forgotten password (and back to the login it came from), channel reset, member code', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/help`);
      await p.check('help');
      // From a login in progress: "forgot your password?", then back to that same login.
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      await Promise.all([p.page.waitForNavigation(), p.page.click('a[href^="/forgot-password"]')]);
      await p.check('forgot-identify');
      await signIn(p.page, { fiscal_code: PAOLA.fiscal_code, member_code: PAOLA.member_code });
      await p.check('forgot-code');
      expect(await p.page.isDisabled('button[name=resend]')).toBe(true);
      await signIn(p.page, { otp: await code(PAOLA.email, 'otp_reset') });
      await p.check('forgot-password');
      await signIn(p.page, { new_password: 'weakpass', new_password_confirm: 'weakpass' });
      await p.check('forgot-password-weak');
      await signIn(p.page, { new_password: 'Paola-Nuova-9?', new_password_confirm: 'Paola-Nuova-9?' });
      await p.check('forgot-done');
      await Promise.all([p.page.waitForNavigation(), p.page.click('main .actions a')]);
      expect(p.page.url()).toMatch(/\/interaction\//);
      await signIn(p.page, { fiscal_code: PAOLA.fiscal_code, password: 'Paola-Nuova-9?' });
      expect((await atClient(p.page)).get('code')).toBeTruthy();

      await p.page.goto(`${t.issuer}/channel-reset`);
      await p.check('channel-reset');
      await p.page.fill('#fiscal_code', ANNA.fiscal_code);
      await p.page.fill('#member_code', ANNA.member_code);
      await p.page.setInputFiles('#document', { name: UPLOADS.pdf.name, mimeType: UPLOADS.pdf.type, buffer: UPLOADS.pdf.data });
      await submit(p.page);
      await p.check('channel-reset-received');
      expect(await p.page.locator('main .actions a').count()).toBe(1);
      await p.page.goto(`${t.issuer}/channel-reset/member-code`);
      await p.check('member-code');
      await p.page.fill('#fiscal_code', BRUNO.fiscal_code);
      await p.page.check('input[name=channel][value=sms]');
      await submit(p.page);
      await p.check('member-code-sent');
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('the company administration, with confirmations before "enable every function" and disabling an operator', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/account/company/${ACME}`);
      await signIn(p.page, { company_code: ACME, password: '0123456789' });
      await p.check('change-password-administrator');
      await signIn(p.page, { new_password: 'Ammin1stra', new_password_confirm: 'Ammin1stra' });
      expect(p.page.url()).toBe(`${t.issuer}/account/company/${ACME}`);
      await p.check('company-home');
      await p.page.goto(`${t.issuer}/account/company/${ACME}/accounts`);
      await p.check('company-accounts');
      await p.page.goto(`${t.issuer}/account/company/${ACME}/accounts/0000067890`);
      await p.check('company-account');
      await submit(p.page, 'button[name=select_all]');
      await p.check('confirm-all-functions');
      await submit(p.page);
      await p.check('company-account-saved');
      expect(await p.page.locator('input[name=function]:checked').count()).toBe(t.config.treasuryFunctions.length);
      await p.page.goto(`${t.issuer}/account/company/${ACME}/operators`);
      await p.check('company-operators');
      await p.page.goto(`${t.issuer}/account/company/${ACME}/new-operator`);
      await p.check('company-new-operator');
      await signIn(p.page, { operator_code: 'bad code', given_name: 'Luigi', family_name: 'Bianchi', operator_password: 'Luigi01', dispositive_password: 'LuigiD1' });
      await p.check('company-new-operator-error');
      expect(await p.page.inputValue('#given_name')).toBe('Luigi');
      expect(await p.page.inputValue('#operator_password')).toBe('');
      await p.page.goto(`${t.issuer}/account/company/${ACME}/operators/MARIO`);
      await p.check('company-operator');
      await submit(p.page, '#status button');
      await p.check('confirm-disable');
      await submit(p.page);
      await p.check('company-operator-disabled');
      await p.page.goto(`${t.issuer}/account/company/${ACME}/operators/MARIO/password/dispositive`);
      await p.check('company-operator-password');
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('the back office: companies, a new administrator password after a confirmation, requests', async () => {
      const p = await person();
      await p.page.goto(`${t.issuer}/backoffice/companies`);
      await signIn(p.page, citizenOf(LUCA));
      await signIn(p.page, { otp: await code(LUCA.email, 'otp_login') });
      await p.check('backoffice-companies');
      await p.page.goto(`${t.issuer}/backoffice/companies/${ACME}`);
      await p.check('backoffice-company');
      await submit(p.page, '#admin-password button');
      await p.check('confirm-admin-password');
      await submit(p.page);
      await p.check('backoffice-issued');
      expect(await p.page.textContent('#admin-password')).toMatch(/^\d{10}$/);
      await p.page.goto(`${t.issuer}/backoffice/requests`);
      await p.check('backoffice-requests');
      await Promise.all([p.page.waitForNavigation(), p.page.click('#pending a')]);
      await p.check('backoffice-request');
      await p.context.close();
      expect(p.found).toEqual([]);
    });

    it('error pages, and the demo application with the levels in words', async () => {
      const p = await person();
      await p.page.goto(authorize(t.issuer, 'web', client.callback));
      await p.page.locator('input[name=csrf]').evaluate((e) => { (e as HTMLInputElement).value = 'stale'; });
      await signIn(p.page, MARIO);
      await p.check('error-form-expired');
      expect(await p.page.locator('main a[href="/account"]').count()).toBe(1);
      await p.page.goto(`${t.issuer}/nowhere`);
      await p.check('error-not-found');
      await p.page.goto(`${t.issuer}/interaction/expired`);
      await p.check('error-sign-in-expired');
      await p.page.goto(authorize(t.issuer, 'web', 'http://127.0.0.1:9/not-registered'));
      await p.check('error-invalid-request');
      await p.page.goto(`${t.issuer}/demo`);
      await p.check('demo');
      expect(await p.page.textContent('main')).not.toContain('urn:idp');
      await submit(p.page, 'main form .actions button');
      await signIn(p.page, MARIO);
      await p.check('demo-result');
      await p.context.close();
      expect(p.found).toEqual([]);
    });
  });
}
