// The one-time code rules on a controllable clock, against real Redis: validity, re-issue, single
// use, wrong entries, lockout, and concurrency across processes.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { keys } from '../../src/store/keys.ts';
import { Browser, formFields } from '../helpers/browser.ts';
import { realRedis, startIdp, uniquePrefix, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, relyingParty } from '../helpers/rp.ts';
import { BRUNO, lastMessage, MEMBER_DATA, PAOLA, readOutbox, tempDir } from '../helpers/member-data.ts';

const BRUNO_ID = `C.${BRUNO.fiscal_code}`;
const PAOLA_ID = `C.${PAOLA.fiscal_code}`;
const SMS = { channel: 'sms' as const, to: BRUNO.phone };

function setup(overrides: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const outbox = path.join(tempDir('otp'), 'outbox.jsonl');
  return { clock, outbox, overrides: { delivery: { outboxFile: outbox }, ...overrides } };
}

describe('one-time code rules', () => {
  let t: TestIdp;
  let clock: ManualClock;
  let outbox: string;
  beforeAll(async () => {
    const s = setup();
    clock = s.clock; outbox = s.outbox;
    t = await startIdp({ data: MEMBER_DATA, overrides: s.overrides, options: { clock } });
  });
  afterAll(async () => t?.close());
  const otp = () => t.idp.services.otp;
  const codeOf = () => lastMessage(outbox, BRUNO.phone)!.code!;

  it('sends 6 digits, stores only an HMAC, and writes the code nowhere but the outbox', async () => {
    expect((await otp().issue(BRUNO_ID, 'login', SMS, 'it')).status).toBe('sent');
    const code = codeOf();
    expect(code).toMatch(/^\d{6}$/);
    const stored = await t.idp.services.redis.hgetall(keys.otp(BRUNO_ID, 'login'));
    expect(Object.values(stored).join(' ')).not.toContain(code);
    expect(stored.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(lastMessage(outbox, BRUNO.phone)!.text).toContain(code);
    expect(lastMessage(outbox, BRUNO.phone)!.text).toMatch(/Vale 5 minuti/);
    expect((await otp().check(BRUNO_ID, 'login', code, 'personal')).ok).toBe(true);
  });

  it('refuses a new code while one is valid, sends one once it has expired, and refuses the expired one', async () => {
    expect((await otp().issue(BRUNO_ID, 'login', SMS, 'en')).status).toBe('sent');
    const first = codeOf();
    clock.advance(299_000);
    const refused = await otp().issue(BRUNO_ID, 'login', SMS, 'en');
    expect(refused).toMatchObject({ status: 'wait', waitSeconds: 1 });
    expect(codeOf()).toBe(first);
    clock.advance(1_000);
    expect(await otp().check(BRUNO_ID, 'login', first, 'personal')).toMatchObject({ ok: false, reason: 'expired' });
    expect((await otp().issue(BRUNO_ID, 'login', SMS, 'en')).status).toBe('sent');
    const second = codeOf();
    expect(await otp().check(BRUNO_ID, 'login', second, 'personal')).toEqual({ ok: true });
  });

  it('takes a code once', async () => {
    await otp().issue(BRUNO_ID, 'login', SMS, 'en');
    const code = codeOf();
    expect((await otp().check(BRUNO_ID, 'login', code, 'personal')).ok).toBe(true);
    expect(await otp().check(BRUNO_ID, 'login', code, 'personal')).toMatchObject({ ok: false, reason: 'none' });
  });

  it('voids a code at the 5th wrong entry: even the right code is then refused until a new one', async () => {
    clock.advance(600_000);
    await otp().issue(BRUNO_ID, 'login', SMS, 'en');
    const code = codeOf();
    const wrong = code === '999999' ? '000000' : '999999';
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await otp().check(BRUNO_ID, 'login', wrong, 'personal'));
    expect(results.map((r) => (r.ok ? 'ok' : `${r.reason}:${r.attemptsLeft}`))).toEqual(['wrong:4', 'wrong:3', 'wrong:2', 'wrong:1', 'void_now:0']);
    expect(await otp().check(BRUNO_ID, 'login', code, 'personal')).toMatchObject({ ok: false, reason: 'void' });
    // Void, not expired: still no new code before its time is up.
    expect((await otp().issue(BRUNO_ID, 'login', SMS, 'en')).status).toBe('wait');
    clock.advance(300_000);
    expect((await otp().issue(BRUNO_ID, 'login', SMS, 'en')).status).toBe('sent');
    await t.idp.services.passwords.unlock(BRUNO_ID, 'personal');
  });

  it('counts wrong codes toward the password lockout: locks at the 7th consecutive failure of either', async () => {
    const browser = new Browser(t.issuer);
    const rp = await relyingParty(t.issuer);
    // Two wrong passwords, then the right one (which resets the count), then two wrong again.
    for (const pw of ['Wrong-1x', 'Wrong-2x']) {
      const p = await enterCredentials(browser, await browser.go((await authorizationUrl(rp)).url), { fiscal_code: PAOLA.fiscal_code, password: pw });
      expect(p.status).toBe(401);
    }
    const creds = () => t.idp.services.passwords.get(PAOLA_ID, 'personal');
    expect((await creds())!.failures).toBe(2);
    clock.advance(600_000);
    await otp().issue(PAOLA_ID, 'login', { channel: 'email', to: PAOLA.email }, 'en');
    const code = lastMessage(outbox, PAOLA.email)!.code!;
    const wrong = code === '999999' ? '000000' : '999999';
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await otp().check(PAOLA_ID, 'login', wrong, 'personal'));
    expect(outcomes.map((o) => !o.ok && o.lockedNow)).toEqual([false, false, false, false, true]);
    expect(await creds()).toMatchObject({ failures: 7, locked: true });
    const p = await enterCredentials(browser, await browser.go((await authorizationUrl(rp)).url), PAOLA);
    expect(p.status).toBe(401);
    expect(p.alert).toMatch(/locked/);
  });
});

describe.skipIf(!realRedis)('concurrency', () => {
  let a: TestIdp;
  let b: TestIdp;
  let clock: ManualClock;
  let outbox: string;
  beforeAll(async () => {
    const s = setup({ otp: { maxAttempts: 100, validitySeconds: 300 }, passwords: { personal: { maxFailures: 100 } } });
    clock = s.clock; outbox = s.outbox;
    const redisPrefix = uniquePrefix();
    // Two processes of one deployment: same Redis, same prefix, same issuer and keys.
    a = await startIdp({ data: MEMBER_DATA, overrides: { ...s.overrides, redisPrefix }, options: { clock } });
    b = await startIdp({ data: null, overrides: { ...s.overrides, redisPrefix, issuer: a.issuer }, options: { clock } });
  });
  afterAll(async () => { await a?.close(); await b?.close(); });

  it('20 parallel "send" requests on two processes produce one message', async () => {
    const sends = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).idp.services.otp.issue(BRUNO_ID, 'login', SMS, 'en'));
    const results = await Promise.all(sends);
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'wait')).toHaveLength(19);
    expect(readOutbox(outbox).filter((m) => m.to === BRUNO.phone)).toHaveLength(1);
  });

  it('20 parallel "regenerate" clicks on the code page produce one message', async () => {
    const rp = await relyingParty(a.issuer);
    const browser = new Browser(a.issuer);
    clock.advance(301_000);
    const page = await enterCredentials(browser, await browser.go((await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' })).url), BRUNO);
    expect(formFields(page)).toContain('otp');
    const before = readOutbox(outbox).length;
    clock.advance(301_000);
    const pages = await Promise.all(Array.from({ length: 20 }, () => browser.submit(page, { resend: '1' })));
    expect(pages.filter((p) => p.status === 200)).toHaveLength(1);
    expect(pages.filter((p) => p.status === 429)).toHaveLength(19);
    expect(readOutbox(outbox).length).toBe(before + 1);
  });

  it('20 parallel wrong guesses on two processes are each counted exactly once', async () => {
    clock.advance(301_000);
    await a.idp.services.otp.issue(BRUNO_ID, 'login', SMS, 'en');
    const code = lastMessage(outbox, BRUNO.phone)!.code!;
    const wrong = code === '999999' ? '000000' : '999999';
    const before = (await a.idp.services.passwords.get(BRUNO_ID, 'personal'))!.failures;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).idp.services.otp.check(BRUNO_ID, 'login', wrong, 'personal')));
    expect(results.every((r) => !r.ok && r.reason === 'wrong')).toBe(true);
    expect(results.map((r) => (r.ok ? -1 : r.attemptsLeft)).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect((await a.idp.services.redis.hget(keys.otp(BRUNO_ID, 'login'), 'attempts'))).toBe('20');
    expect((await a.idp.services.passwords.get(BRUNO_ID, 'personal'))!.failures).toBe(before + 20);
  });
});
