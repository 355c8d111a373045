// Transaction signing end to end (RFC 9396 with openid-client as the relying party): an operator
// confirms a payment with the dispositive password and the code from the outbox; the token
// response, the access token's introspection and the audit log carry what was authorised; dynamic
// linking refuses codes for other details, replays and expired codes; bad details are
// invalid_authorization_details with nothing stored.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { MARIO, OPERATOR } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, type Started } from '../helpers/rp.ts';
import { lastMessage, readOutbox, tempDir } from '../helpers/member-data.ts';
import { details, OPERATOR_PHONE, PAYEE_IBAN, PAYMENT_DATA, paymentDetail, rpFor } from '../helpers/payment-data.ts';
import { ibanValid } from '../../interactions/payment/details.ts';

const clock = new ManualClock(Date.now());
const outbox = path.join(tempDir('payment'), 'outbox.jsonl');
let t: TestIdp;

beforeAll(async () => { t = await startIdp({ data: PAYMENT_DATA, overrides: { delivery: { outboxFile: outbox } }, options: { clock } }); });
afterAll(async () => t?.close());

const codeFor = () => lastMessage(outbox, OPERATOR_PHONE, 'payment_code')!;

/** Logs the operator in and stops at the confirmation page. */
async function toConfirmation(rp: oidc.Configuration, params: Record<string, string>, browser = new Browser(t.issuer)): Promise<{ browser: Browser; started: Started; page: Page }> {
  const started = await authorizationUrl(rp, params);
  let page = await browser.go(started.url);
  if (formFields(page).includes('password')) page = await enterCredentials(browser, page, OPERATOR);
  return { browser, started, page };
}

describe('payment confirmation', () => {
  it('an operator confirms with the dispositive password and the code; token, introspection and audit carry the details', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const { browser, started, page } = await toConfirmation(rp, { ...details(paymentDetail()), ui_locales: 'it' });
    expect(page.left).toBeUndefined();
    expect(page.status).toBe(200);
    expect(formFields(page)).toEqual(expect.arrayContaining(['dispositive_password', 'otp']));
    expect(page.doc.querySelector('#payment-amount')?.text).toBe('1.234,50\u00a0€');
    expect(page.doc.querySelector('#payment-amount')?.text).toBe(new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR', useGrouping: 'always' } as unknown as Intl.NumberFormatOptions).format(1234.5));
    expect(page.doc.querySelector('#payment-payee')?.text).toBe('Fornitore S.r.l.');
    expect(page.doc.querySelector('#payment-iban')?.text).toBe('IT60 X054 2811 1010 0000 0123 456');
    expect(page.doc.querySelector('#payment-reference')?.text).toBe('Fattura 2026/118');

    const message = codeFor();
    expect(message.text).toContain('Fornitore S.r.l.');
    expect(message.text).toContain(page.doc.querySelector('#payment-amount')!.text);
    expect(message.text).not.toContain(PAYEE_IBAN);

    // The operator password is not the dispositive one: refused, without saying which element.
    const wrong = await browser.submit(page, { dispositive_password: 'Op3rat0r', otp: message.code! });
    expect(wrong.status).toBe(401);
    expect(wrong.alert).toMatch(/password o il codice/);
    const done = await browser.submit(wrong, { dispositive_password: 'Disp0s1', otp: message.code! });
    expect(done.left).toBeTruthy();
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.authorization_details).toEqual([paymentDetail()]);
    const introspected = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(introspected.active).toBe(true);
    expect(introspected.authorization_details).toEqual([paymentDetail()]);

    // The grant keeps what was authorised.
    const at = await t.idp.provider.AccessToken.find(tokens.access_token);
    const grant = await t.idp.provider.Grant.find(at!.grantId!);
    expect((grant as unknown as { rar?: unknown[] }).rar).toContainEqual(paymentDetail());

    // A refresh never widens: the one-time payment is not carried to the new access token.
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.authorization_details).toBeUndefined();
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).authorization_details).toBeUndefined();

    const events = await t.idp.services.audit.recent(50, { event: 'payment.confirm' });
    const ok = events.filter((e) => e.outcome === 'success').at(-1)!;
    expect(ok.subject).toBe('O.12345678.MARIO');
    expect(ok.reason).toContain('1234.50 EUR to Fornitore S.r.l. IT60*******************3456');
    expect(ok.reason).toContain('dispositive password, code by sms');
    expect(JSON.stringify(events)).not.toContain(PAYEE_IBAN);
    expect(events.some((e) => e.outcome === 'failure' && /password wrong/.test(e.reason ?? ''))).toBe(true);

    // A second request in the same session asks again (the authorisation was one-time).
    const again = await toConfirmation(rp, details(paymentDetail('10.00')), browser);
    expect(formFields(again.page)).toContain('otp');
    // A login without details gets a token without any.
    const plain = await authorizationUrl(rp);
    const noDetails = await browser.go(plain.url);
    const plainTokens = await exchange(rp, plain, noDetails.left!);
    expect(plainTokens.authorization_details).toBeUndefined();
  });

  it('through a pushed request (PAR), required by the client, in English, with a batch refused for a type it may not use', async () => {
    const rp = await rpFor(t.issuer, 'treasury-par');
    const browser = new Browser(t.issuer);
    // This client must push its requests: a plain one is refused.
    const direct = await browser.go((await authorizationUrl(rp, details(paymentDetail()))).url);
    expect(direct.left ?? direct.html).toMatch(/invalid_request|pushed/);
    // A type the client is not allowed: refused at the PAR endpoint.
    const batch = { type: 'payment_initiation_batch', debtorAccount: { iban: PAYEE_IBAN }, payments: [paymentDetail()].map(({ type: _t, ...p }) => p) };
    await expect(oidc.buildAuthorizationUrlWithPAR(rp, { redirect_uri: 'http://127.0.0.1:9/cb', scope: 'openid', ...details(batch), code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }))
      .rejects.toMatchObject({ error: 'invalid_authorization_details' });

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithPAR(rp, {
      redirect_uri: 'http://127.0.0.1:9/cb', scope: 'openid', state, nonce, ui_locales: 'en',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...details(paymentDetail('99.99', 'ACME Supplies Ltd')),
    });
    expect(url.searchParams.get('authorization_details')).toBeNull();
    const started = { url: url.href, verifier, state, nonce };
    const page = await enterCredentials(browser, await browser.go(url.href), OPERATOR);
    expect(page.doc.querySelector('#payment-amount')?.text).toBe('€99.99');
    const done = await browser.submit(page, { dispositive_password: 'Disp0s1', otp: codeFor().code! });
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.authorization_details).toEqual([paymentDetail('99.99', 'ACME Supplies Ltd')]);
  });
});

describe('who confirms with what', () => {
  it('a citizen confirms with the login password and the code sent by email', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, details(paymentDetail('42.00', 'Comune di Roma')));
    const page = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(formFields(page)).toEqual(expect.arrayContaining(['password', 'otp']));
    expect(formFields(page)).not.toContain('dispositive_password');
    const message = lastMessage(outbox, 'mario.rossi@example.org', 'payment_code')!;
    expect(message.channel).toBe('email');
    expect(message.text).toContain('Comune di Roma');
    const done = await browser.submit(page, { password: MARIO.password, otp: message.code! });
    expect((await exchange(rp, started, done.left!)).authorization_details).toEqual([paymentDetail('42.00', 'Comune di Roma')]);
  });

  it('an expired dispositive password (monthly) is refused, with the way to change it', async () => {
    const id = 'O.12345678.MARIO';
    await t.idp.services.passwords.set(id, 'dispositive', 'Disp0s1', { mustChange: false, expiresAt: clock.now() - 1000 });
    try {
      const rp = await rpFor(t.issuer, 'treasury');
      const { browser, page } = await toConfirmation(rp, details(paymentDetail('7.00')));
      const refused = await browser.submit(page, { dispositive_password: 'Disp0s1', otp: codeFor().code! });
      expect(refused.status).toBe(403);
      expect(refused.left).toBeUndefined();
      expect(refused.doc.querySelector('a[href="/account/password/dispositive"]')).toBeTruthy();
    } finally {
      await t.idp.services.passwords.set(id, 'dispositive', 'Disp0s1', { mustChange: false });
    }
  });
});

describe('dynamic linking', () => {
  it('refuses a code for other details, a code after the details changed, a replayed code and an expired code', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const first = await toConfirmation(rp, details(paymentDetail('500.00')));
    const codeA = codeFor().code!;
    // A second request in the same session with another amount: its code voids the first one.
    const second = await toConfirmation(rp, details(paymentDetail('5000.00')), first.browser);
    const codeB = codeFor().code!;
    expect(codeB).not.toBe(codeA);
    expect(codeFor().text).toMatch(/5[.,]000[.,]00/);
    const old = await first.browser.submit(second.page, { dispositive_password: 'Disp0s1', otp: codeA });
    expect(old.status).toBe(401);
    // The first interaction (500.00) with the second payment's code: bound to other details.
    const crossed = await first.browser.submit(first.page, { dispositive_password: 'Disp0s1', otp: codeB });
    expect(crossed.status).toBe(401);
    // The second's own code (still valid: wrong entries count, a wrong code does not void it at once).
    const ok = await first.browser.submit(second.page, { dispositive_password: 'Disp0s1', otp: codeB });
    expect(ok.left).toBeTruthy();
    expect((await exchange(rp, second.started, ok.left!)).authorization_details).toEqual([paymentDetail('5000.00')]);
    // Replayed: used once.
    const replay = await toConfirmation(rp, details(paymentDetail('5000.00')), first.browser);
    const replayed = await first.browser.submit(replay.page, { dispositive_password: 'Disp0s1', otp: codeB });
    expect(replayed.status).toBe(401);
    // Expired: the code of this very interaction, after its validity.
    const fresh = codeFor().code!;
    clock.advance(301_000);
    const expired = await first.browser.submit(replay.page, { dispositive_password: 'Disp0s1', otp: fresh });
    expect(expired.status).toBe(401);
    expect(expired.alert).toMatch(/password or the code|password o il codice/);
  });

  it('without a registered channel the page says how to register one and goes back to the service', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, details(paymentDetail()));
    const page = await enterCredentials(browser, await browser.go(started.url), { ...OPERATOR, operator_code: 'NOCHAN' });
    expect(page.status).toBe(403);
    expect(page.doc.querySelector('#no-channel')?.text).toMatch(/administrator|amministratore/);
    const back = await browser.submit(page, {});
    expect(new URL(back.left!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('accepted methods', () => {
  it("a client whose accepted_methods leaves out codes gets no confirmation by code: the page says so and goes back", async () => {
    const rp = await rpFor(t.issuer, 'treasury-card');
    const before = readOutbox(outbox).length;
    const { browser, page } = await toConfirmation(rp, details(paymentDetail()));
    expect(page.status).toBe(403);
    expect(page.doc.querySelector('#not-accepted')).toBeTruthy();
    expect(formFields(page)).not.toContain('otp');
    expect(readOutbox(outbox).length).toBe(before);
    const back = await browser.submit(page, {});
    expect(new URL(back.left!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('bad authorization_details', () => {
  const cases: [string, unknown][] = [
    ['unknown type', { type: 'account_information' }],
    ['missing field', (({ creditorName: _c, ...d }) => d)(paymentDetail())],
    ['extra field', { ...paymentDetail(), note: 'x' }],
    ['zero amount', paymentDetail('0.00')],
    ['negative amount', paymentDetail('-5.00')],
    ['too many decimals', paymentDetail('1.234')],
    ['unknown currency', { ...paymentDetail(), instructedAmount: { currency: 'XYZ', amount: '1.00' } }],
    ['JPY with decimals', { ...paymentDetail(), instructedAmount: { currency: 'JPY', amount: '1.50' } }],
    ['wrong IBAN checksum', { ...paymentDetail(), creditorAccount: { iban: 'IT61X0542811101000000123456' } }],
    ['batch over the limit', { type: 'payment_initiation_batch', debtorAccount: { iban: PAYEE_IBAN }, payments: Array.from({ length: 101 }, () => ({ instructedAmount: { currency: 'EUR', amount: '1.00' }, creditorName: 'A', creditorAccount: { iban: PAYEE_IBAN } })) }],
    ['batch in two currencies', { type: 'payment_initiation_batch', debtorAccount: { iban: PAYEE_IBAN }, payments: [{ instructedAmount: { currency: 'EUR', amount: '1.00' }, creditorName: 'A', creditorAccount: { iban: PAYEE_IBAN } }, { instructedAmount: { currency: 'USD', amount: '1.00' }, creditorName: 'B', creditorAccount: { iban: PAYEE_IBAN } }] }],
    ['oversized', { ...paymentDetail(), remittanceInformationUnstructured: 'x'.repeat(17_000) }],
  ];
  it.each(cases)('%s: invalid_authorization_details to the client, nothing stored', async (_name, detail) => {
    const rp = await rpFor(t.issuer, 'treasury');
    const before = readOutbox(outbox).length;
    await expect(oidc.buildAuthorizationUrlWithPAR(rp, { redirect_uri: 'http://127.0.0.1:9/cb', scope: 'openid', ...details(detail), code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }))
      .rejects.toMatchObject({ error: 'invalid_authorization_details' });
    if (JSON.stringify(detail).length < 4000) {
      // In the URL too (a larger one would not fit in a request line).
      const direct = await new Browser(t.issuer).go((await authorizationUrl(rp, details(detail))).url);
      expect(new URL(direct.left!).searchParams.get('error')).toBe('invalid_authorization_details');
    }
    expect(readOutbox(outbox).length).toBe(before);
  });

  it('a client without the type in authorization_details_types is refused', async () => {
    const rp = await rpFor(t.issuer, 'rp');
    const direct = await new Browser(t.issuer).go((await authorizationUrl(rp, details(paymentDetail()))).url);
    expect(new URL(direct.left!).searchParams.get('error')).toBe('invalid_authorization_details');
  });

  it('discovery lists the types; the IBAN check is ISO 13616 mod 97', async () => {
    const meta = await (await fetch(`${t.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(meta.authorization_details_types_supported).toEqual(['payment_initiation', 'payment_initiation_batch']);
    expect(meta.pushed_authorization_request_endpoint).toBeTruthy();
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ibanValid('DE02100100109307118603')).toBe(true);
  });
});
