// Abuse limits: failed secret checks are counted per client address and per account (known or not)
// in Redis, and over a limit the answer is a 429 with Retry-After, before any secret is checked, so
// that even the right one is refused. Small limits here keep the tests short.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';
import { awaitMessage, BRUNO, MEMBER_DATA, tempDir } from '../helpers/member-data.ts';

const WRONG = 'Wrong-Pass-1';
const limits = (over: Record<string, number>) => ({
  ipFailures: 1000, ipWindowSeconds: 900, accountFailures: 1000, accountWindowSeconds: 900, slowFailures: 1000, slowWindowDays: 30, ...over,
});

/** Identify page and password of one login, from the address `ip` (through a trusted proxy when set). */
async function tryPassword(t: TestIdp, rp: oidc.Configuration, who: Record<string, string>, password: string, ip?: string): Promise<Page> {
  const browser = new Browser(t.issuer);
  const headers = ip ? { 'x-forwarded-for': ip } : undefined;
  const first = await browser.go((await authorizationUrl(rp)).url, { headers });
  const form = first.doc.querySelector('form[method=post]');
  const body = new URLSearchParams({ csrf: form!.querySelector('input[name=csrf]')!.getAttribute('value')!, ...who, password });
  return browser.go(new URL(form!.getAttribute('action')!, first.url).href, {
    method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

const unknown = (i: number) => ({ fiscal_code: ['RSSMRA80A01H501U', 'BNCLRA85M41F205C', 'VRDLGU70B12L219L', 'NREFNC66C03A944K', 'CSTPLA90D44H501N', 'FRRGNN75E05F839N'][i]! });

describe('password spraying from one address', () => {
  let t: TestIdp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    t = await startIdp({ overrides: { rateLimit: limits({ ipFailures: 4 }) } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => t?.close());

  it('is refused with 429 after the limit, across accounts, even with the right password', async () => {
    for (let i = 0; i < 4; i += 1) expect((await tryPassword(t, rp, unknown(i), WRONG)).status).toBe(401);
    const refused = await tryPassword(t, rp, { fiscal_code: MARIO.fiscal_code }, MARIO.password);
    expect(refused.status).toBe(429);
    expect(refused.title).toBe('Too many attempts');
    expect(refused.alert).toMatch(/Too many failed attempts/);
    // The right password was not even checked: nothing reached the audit log about it.
    const events = await t.idp.services.audit.recent(50, { event: 'login.password', subject: `C.${MARIO.fiscal_code}` });
    expect(events).toHaveLength(0);
  });

  it('says when to come back (Retry-After), within the window', async () => {
    const browser = new Browser(t.issuer);
    const first = await browser.go((await authorizationUrl(rp)).url);
    const res = await browser.raw(new URL(first.doc.querySelector('form')!.getAttribute('action')!, first.url).href, {
      method: 'POST', body: `csrf=${first.doc.querySelector('input[name=csrf]')!.getAttribute('value')}&fiscal_code=${MARIO.fiscal_code}&password=x`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(429);
    const after = Number(res.headers.get('retry-after'));
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(900);
  });

  it('is not evaded by writing X-Forwarded-For when no proxy is trusted', async () => {
    expect((await tryPassword(t, rp, unknown(5), WRONG, '203.0.113.77')).status).toBe(429);
  });
});

describe('per account, behind a trusted proxy', () => {
  let t: TestIdp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    t = await startIdp({ overrides: { trustProxy: 1, rateLimit: limits({ accountFailures: 3, ipFailures: 5 }) } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => t?.close());

  it('refuses an account after its limit from any address, known or unknown alike', async () => {
    for (const who of [{ fiscal_code: MARIO.fiscal_code }, unknown(0)]) {
      for (let i = 0; i < 3; i += 1) expect((await tryPassword(t, rp, who, WRONG, `198.51.100.${i + 1}`)).status).toBe(401);
      const refused = await tryPassword(t, rp, who, who.fiscal_code === MARIO.fiscal_code ? MARIO.password : WRONG, '198.51.100.50');
      expect(refused.status).toBe(429);
    }
    // Three wrong passwords: below the lockout (7); only the abuse limit holds the account.
    expect((await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal'))?.locked).toBe(false);
  });

  it('takes the client address from the proxy, not from what the client wrote before it', async () => {
    // The proxy appends the address it saw; entries the client wrote itself come first and are ignored.
    for (let i = 0; i < 5; i += 1) expect((await tryPassword(t, rp, unknown(1 + (i % 4)), WRONG, `10.${i}.0.1, 192.0.2.9`)).status).toBe(401);
    expect((await tryPassword(t, rp, unknown(5), WRONG, '10.99.0.1, 192.0.2.9')).status).toBe(429);
    expect((await tryPassword(t, rp, unknown(5), WRONG, '192.0.2.10')).status).toBe(401);
  });
});

describe('failures over time (NIST SP 800-63B)', () => {
  let t: TestIdp;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    t = await startIdp({ overrides: { rateLimit: limits({ slowFailures: 6 }) } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => t?.close());

  it('refuses an account after its failures in the window, though successes reset the lockout between them', async () => {
    const mario = { fiscal_code: MARIO.fiscal_code };
    for (let i = 0; i < 3; i += 1) expect((await tryPassword(t, rp, mario, WRONG)).status).toBe(401);
    // The user logs in meanwhile: the consecutive count goes back to 0, the slow one does not.
    const ok = await tryPassword(t, rp, mario, MARIO.password);
    expect(ok.left, `${ok.status} ${ok.title} ${ok.alert}`).toBeTruthy();
    for (let i = 0; i < 3; i += 1) expect((await tryPassword(t, rp, mario, WRONG)).status).toBe(401);
    // Six failures in the window: refused, though the lockout (7 in a row) is far.
    expect((await tryPassword(t, rp, mario, MARIO.password)).status).toBe(429);
    expect((await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal'))).toMatchObject({ failures: 3, locked: false });
  });
});

describe('client authentication at the token, introspection and revocation endpoints', () => {
  let t: TestIdp;
  beforeAll(async () => { t = await startIdp({ overrides: { trustProxy: 1, rateLimit: limits({ ipFailures: 6, accountFailures: 3 }) } }); });
  afterAll(async () => t?.close());

  const post = (endpoint: string, secret: string, ip: string) => fetch(`${t.url}${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    body: new URLSearchParams({ client_id: 'rp', client_secret: secret, grant_type: 'client_credentials', token: 'x' }).toString(),
  });

  it('refuses a client and address after 3 wrong secrets with an OAuth 429, then even the right one', async () => {
    for (let i = 0; i < 3; i += 1) expect((await post('/token', 'wrong-secret-0123456789', '192.0.2.1')).status).toBe(401);
    const refused = await post('/token/introspection', 'rp-secret-0123456789', '192.0.2.1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'too_many_requests' });
    // The same client from another address is not shut out by someone else's guesses.
    const other = await post('/token/introspection', 'rp-secret-0123456789', '192.0.2.2');
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ active: false });
  });

  it('counts the client that authenticates, by HTTP Basic as well, and a refusal counts nowhere', async () => {
    const basic = (secret: string) => fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '192.0.2.4', authorization: `Basic ${Buffer.from(`rp:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    for (let i = 0; i < 3; i += 1) expect((await basic('wrong-secret-0123456789')).status).toBe(401);
    const refused = await basic('rp-secret-0123456789');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'too_many_requests' });
    expect(await t.idp.services.redis.get('rl:client:{192.0.2.4}rp')).toBe('3');
    expect(await t.idp.services.redis.get('rl:ip:{192.0.2.4}')).toBe('3');
  });

  it('refuses an address after its failures across endpoints and clients', async () => {
    // Two failures for each of three clients (one unknown): below the per-client limit of 3.
    for (const client of ['rp', 'third', 'nobody']) {
      for (const endpoint of ['/token/introspection', '/token/revocation']) {
        const res = await fetch(`${t.url}${endpoint}`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '192.0.2.3' },
          body: new URLSearchParams({ client_id: client, client_secret: 'wrong-secret-0123456789', token: 'x' }).toString(),
        });
        expect(res.status).toBe(401);
      }
    }
    expect((await post('/token/revocation', 'rp-secret-0123456789', '192.0.2.3')).status).toBe(429);
  });
});

describe('public pages: forgot password', () => {
  let t: TestIdp;
  let outbox: string;
  beforeAll(async () => {
    outbox = path.join(tempDir('rate-limit'), 'outbox.jsonl');
    t = await startIdp({ data: MEMBER_DATA, overrides: { delivery: { outboxFile: outbox }, rateLimit: limits({ accountFailures: 4 }) } });
  });
  afterAll(async () => t?.close());

  it('stops reset codes on a locked account after the account limit, the right code included', async () => {
    const id = `C.${BRUNO.fiscal_code}`;
    for (let i = 0; i < 7; i += 1) await t.idp.services.passwords.verify(id, 'personal', WRONG);
    expect((await t.idp.services.passwords.get(id, 'personal'))?.locked).toBe(true);
    const browser = new Browser(t.issuer);
    let page = await browser.submit(await browser.go(`${t.url}/forgot-password`), { fiscal_code: BRUNO.fiscal_code, member_code: BRUNO.member_code });
    expect(formFields(page)).toContain('otp');
    const code = (await awaitMessage(outbox, BRUNO.phone, 'otp_reset')).code!;
    const wrong = code === '000000' ? '111111' : '000000';
    // The identification took one point: three wrong codes reach the limit of 4.
    for (let i = 0; i < 3; i += 1) {
      page = await browser.submit(page, { otp: wrong });
      expect(page.status).toBe(401);
    }
    const refused = await browser.submit(page, { otp: code });
    expect(refused.status).toBe(429);
    expect((await t.idp.services.passwords.get(id, 'personal'))?.locked).toBe(true);
  });

  it('counts every identification, matched or not, so that a match never shows', async () => {
    const tries = async (member: string) => {
      const browser = new Browser(t.issuer);
      return browser.submit(await browser.go(`${t.url}/forgot-password`), { fiscal_code: 'FRRGNN75E05F839N', member_code: member });
    };
    for (let i = 0; i < 4; i += 1) expect((await tries(`M${i}`)).status).toBe(200);
    expect((await tries('M9')).status).toBe(429);
    // Toward the short windows only: the citizen's 30-day login count is left alone (else anyone
    // who knows a fiscal code could lock its owner out for a month).
    expect(await t.idp.services.redis.get('rl:slow:{C.FRRGNN75E05F839N}')).toBeNull();
  });
});
