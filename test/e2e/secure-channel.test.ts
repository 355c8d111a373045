// Members' secure channel end to end, over a real SMTP server and a real HTTP SMS gateway on
// loopback: registration at first login, the first-access password, the OTP second factor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser, formFields } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, login, relyingParty } from '../helpers/rp.ts';
import { ANNA, BRUNO, GIANNI, MEMBER_DATA } from '../helpers/member-data.ts';
import { codeIn, FakeSmsGateway, FakeSmtp } from '../helpers/fake-gateways.ts';

let t: TestIdp;
let rp: oidc.Configuration;
let smtp: FakeSmtp;
let sms: FakeSmsGateway;

beforeAll(async () => {
  smtp = await new FakeSmtp().start();
  sms = await new FakeSmsGateway().start();
  t = await startIdp({
    data: MEMBER_DATA,
    overrides: {
      delivery: {
        outbox: false,
        smtp: { host: '127.0.0.1', port: smtp.port, tls: 'none', from: 'idp@bank.example' },
        sms: { url: sms.url, authHeader: 'Bearer gateway-token', bodyTemplate: '{"recipient":"{{to}}","message":{"body":"{{text}}"},"sender":"BANK"}' },
      },
    },
  });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
  await sms?.stop();
});

describe('secure channel registration at first login', () => {
  it('lists the contacts on record masked, sends a code by email, then a first-access password, then asks for a personal password', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp);
    const choose = await enterCredentials(browser, await browser.go(started.url), ANNA);
    expect(choose.title).toBe('Secure channel registration');
    expect(formFields(choose)).toContain('channel');
    expect(choose.html).toContain('a**********i@e***.org');
    expect(choose.html).toContain('+39******0001');
    expect(choose.html).not.toContain(ANNA.email);

    const codePage = await browser.submit(choose, { channel: 'email' });
    expect(codePage.status).toBe(200);
    expect(formFields(codePage)).toContain('otp');
    const mails = smtp.to(ANNA.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.from).toBe('idp@bank.example');
    expect(mails[0]!.subject).toMatch(/secure channel/i);

    const wrong = await browser.submit(codePage, { otp: codeIn(mails[0]!.body) === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.alert).toMatch(/Attempts left for this code: 4/);

    const change = await browser.submit(wrong, { otp: codeIn(mails[0]!.body) });
    expect(formFields(change)).toContain('new_password');
    expect(change.html).toMatch(/first-access password/);
    const firstAccess = smtp.to(ANNA.email)[1]!;
    expect(firstAccess.subject).toMatch(/First-access password/);

    const done = await browser.submit(change, { new_password: 'Anna-Nuova-2!', new_password_confirm: 'Anna-Nuova-2!' });
    expect(done.left).toBeDefined();
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()!.amr).toEqual(['pwd']);

    // From now on the email is her second factor.
    const b2 = new Browser(t.issuer);
    const s2 = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const otpPage = await enterCredentials(b2, await b2.go(s2.url), { fiscal_code: ANNA.fiscal_code, password: 'Anna-Nuova-2!' });
    expect(formFields(otpPage)).toContain('otp');
    const loginMail = smtp.to(ANNA.email)[2]!;
    expect(loginMail.subject).toMatch(/sign-in code/);
    const finished = await b2.submit(otpPage, { otp: codeIn(loginMail.body) });
    const t2 = await exchange(rp, s2, finished.left!);
    expect(t2.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp'] });
  });
});

describe('a mail server that refuses the message', () => {
  it('shows a page that says the code was not sent, and "regenerate" sends it once the server is back', async () => {
    smtp.failing = true;
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp);
    const choose = await enterCredentials(browser, await browser.go(started.url), GIANNI);
    const failed = await browser.submit(choose, { channel: 'email' });
    expect(failed.status).toBe(503);
    expect(failed.alert).toMatch(/could not send the code/);
    expect(formFields(failed)).toContain('otp');
    smtp.failing = false;
    const sent = await browser.submit(failed, { resend: '1' });
    expect(sent.status).toBe(200);
    const mail = smtp.to(GIANNI.email).at(-1)!;
    const change = await browser.submit(sent, { otp: codeIn(mail.body) });
    expect(formFields(change)).toContain('new_password');
  });
});

describe('OTP second factor by SMS', () => {
  it('sends the code through the gateway with the configured body and header, and adds sms to amr', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const page = await enterCredentials(browser, await browser.go(started.url), BRUNO);
    expect(formFields(page)).toContain('otp');
    expect(page.doc.querySelector('[role=status]')?.text).toMatch(/\+39\*+0002/);
    const req = sms.requests.at(-1)!;
    expect(req.headers.authorization).toBe('Bearer gateway-token');
    expect(req.body).toMatchObject({ recipient: BRUNO.phone, sender: 'BANK' });
    const text = (req.body.message as { body: string }).body;
    const done = await browser.submit(page, { otp: codeIn(text) });
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp', 'sms'] });
  });

  it('says so when the gateway fails, and a retry sends a code', async () => {
    sms.status = 500;
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const failed = await enterCredentials(browser, await browser.go(started.url), BRUNO);
    expect(failed.status).toBe(503);
    expect(failed.alert).toMatch(/could not send the code/);
    expect(formFields(failed)).toContain('otp');
    sms.status = 200;
    const before = sms.requests.length;
    const retried = await browser.submit(failed, { resend: '1' });
    expect(retried.status).toBe(200);
    expect(sms.requests.length).toBe(before + 1);
    const done = await browser.submit(retried, { otp: codeIn((sms.requests.at(-1)!.body.message as { body: string }).body) });
    expect((await exchange(rp, started, done.left!)).claims()!.amr).toEqual(['pwd', 'otp', 'sms']);
  });

  it('refuses a new code while the last one is valid, and says how long to wait', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const page = await enterCredentials(browser, await browser.go(started.url), BRUNO);
    const before = sms.requests.length;
    const again = await browser.submit(page, { resend: '1' });
    expect(again.status).toBe(429);
    expect(again.doc.querySelector('[role=status]')?.text).toMatch(/ask for a new one in (\d+ minutes?( and \d+ seconds?)?|\d+ seconds?)\./);
    // The button is disabled until then (the page's script counts down and enables it).
    const resend = again.doc.querySelector('button[name=resend]');
    expect(resend?.hasAttribute('disabled')).toBe(true);
    expect(Number(resend?.getAttribute('data-wait'))).toBeGreaterThan(0);
    expect(sms.requests.length).toBe(before);
  });

  it('a member who logs in at loa:1 is not asked for a code', async () => {
    const tokens = await login(new Browser(t.issuer), rp, BRUNO);
    expect(tokens.claims()!.amr).toEqual(['pwd']);
  });
});
