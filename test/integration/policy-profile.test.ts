// The policy profiles: `seed` (7 consecutive failures lock; a login may take INTERACTION_TTL) and
// `psd2` (5 consecutive failures lock, the payment confirmation warns on the attempt before the
// block, a login or confirmation left 5 minutes without activity is abandoned), run through the real pages.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { MARIO, OPERATOR } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, relyingParty } from '../helpers/rp.ts';
import { lastMessage, tempDir } from '../helpers/member-data.ts';
import { details, OPERATOR_PHONE, PAYMENT_DATA, paymentDetail, rpFor } from '../helpers/payment-data.ts';

// The abuse limits are set out of the way: these tests are about the lockout.
const rateLimit = { ipFailures: 10_000, ipWindowSeconds: 900, accountFailures: 10_000, accountWindowSeconds: 900, slowFailures: 10_000, slowWindowDays: 30 };

async function passwordPage(t: TestIdp): Promise<{ browser: Browser; page: Page; uid: string }> {
  const rp = await relyingParty(t.issuer);
  const browser = new Browser(t.issuer);
  const page = await browser.submit(await browser.go((await authorizationUrl(rp)).url), { fiscal_code: MARIO.fiscal_code });
  return { browser, page, uid: new URL(page.url).pathname.split('/')[2]! };
}

/** Wrong passwords until locked; returns how many it took and the messages shown. */
async function wrongUntilLocked(t: TestIdp): Promise<{ count: number; alerts: string[] }> {
  const alerts: string[] = [];
  for (let i = 1; i <= 10; i++) {
    const { browser, page } = await passwordPage(t);
    const r = await browser.submit(page, { password: `Wrong-${i}` });
    alerts.push(r.alert ?? '');
    if ((await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal'))?.locked) return { count: i, alerts };
  }
  return { count: -1, alerts };
}

async function interactionSeconds(t: TestIdp, uid: string): Promise<number> {
  const interaction = await t.idp.provider.Interaction.find(uid);
  return interaction!.exp - interaction!.iat;
}

describe('seed profile', () => {
  let t: TestIdp;
  beforeAll(async () => { t = await startIdp({ overrides: { rateLimit } }); });
  afterAll(async () => t?.close());

  it('locks after 7 consecutive wrong passwords; a login may take 30 minutes', async () => {
    const { count, alerts } = await wrongUntilLocked(t);
    expect(count).toBe(7);
    expect(alerts[0]).toMatch(/after 7 consecutive/);
    const { uid } = await passwordPage(t);
    expect(await interactionSeconds(t, uid)).toBe(1800);
  });
});

describe('psd2 profile', () => {
  let t: TestIdp;
  const outbox = path.join(tempDir('psd2'), 'outbox.jsonl');
  beforeAll(async () => { t = await startIdp({ data: PAYMENT_DATA, overrides: { rateLimit, policyProfile: 'psd2', delivery: { outboxFile: outbox } } }); });
  afterAll(async () => t?.close());

  it('sets 5 failures for every password kind and second factor, 5 idle minutes for a login; explicit settings win', () => {
    const c = loadConfig({ POLICY_PROFILE: 'psd2' }, { demo: false });
    expect(Object.values(c.passwords).map((p) => p.maxFailures)).toEqual([5, 5, 5, 5, 5]);
    const perMethod = Object.values(c.methods as Record<string, { maxFailures?: number }>).filter((m) => m.maxFailures !== undefined);
    expect(perMethod.length).toBeGreaterThan(0);
    expect(perMethod.every((m) => m.maxFailures === 5)).toBe(true);
    expect(c.ttl.idleSeconds).toBe(300);
    expect(c.ttl.interactionSeconds).toBe(1800);
    expect(loadConfig({}, { demo: false }).ttl.idleSeconds).toBe(0);
    expect(loadConfig({ POLICY_PROFILE: 'psd2', LOCKOUT_THRESHOLD: '3' }, { demo: false }).passwords.personal.maxFailures).toBe(3);
    expect(loadConfig({}, { demo: false }).passwords.personal.maxFailures).toBe(7);
    expect(() => loadConfig({ POLICY_PROFILE: 'lax' }, { demo: false })).toThrow(/POLICY_PROFILE/);
  });

  it('locks after 5 consecutive wrong passwords, the message saying so on every attempt without telling which element', async () => {
    const { count, alerts } = await wrongUntilLocked(t);
    expect(count).toBe(5);
    expect(new Set(alerts).size).toBe(1);
    expect(alerts[0]).toMatch(/Wrong user or password, or access locked.*after 5 consecutive/);
  });

  it('wrong payment codes after the right dispositive password count toward the block too', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const browser = new Browser(t.issuer);
    let page = await enterCredentials(browser, await browser.go((await authorizationUrl(rp, details(paymentDetail()))).url), OPERATOR);
    const sent = lastMessage(outbox, OPERATOR_PHONE, 'payment_code')!.code!;
    const wrong = (n: number) => String((Number(sent) + n) % 1_000_000).padStart(6, '0');
    const alerts: string[] = [];
    for (let i = 1; i <= 5; i++) {
      page = await browser.submit(page, { dispositive_password: 'Disp0s1', otp: wrong(i) });
      expect(page.status).toBe(401);
      alerts.push(page.alert ?? '');
    }
    expect(alerts[3]).toMatch(/one more mistake/);
    expect(await t.idp.services.passwords.get('O.12345678.MARIO', 'dispositive')).toMatchObject({ locked: true, failures: 5 });
    await t.idp.services.passwords.unlock('O.12345678.MARIO', 'dispositive');
  });

  it('the payment confirmation warns on the attempt before the block and locks the dispositive password at the 5th', async () => {
    const rp = await rpFor(t.issuer, 'treasury');
    const browser = new Browser(t.issuer);
    let page = await enterCredentials(browser, await browser.go((await authorizationUrl(rp, details(paymentDetail()))).url), OPERATOR);
    expect(formFields(page)).toContain('dispositive_password');
    const alerts: string[] = [];
    for (let i = 1; i <= 5; i++) {
      page = await browser.submit(page, { dispositive_password: `Wrong${i}`, otp: '123456' });
      expect(page.status).toBe(401);
      alerts.push(page.alert ?? '');
    }
    expect(alerts.slice(0, 3).every((a) => /password or the code is not right/.test(a) && !/one more mistake/.test(a))).toBe(true);
    expect(alerts[3]).toMatch(/one more mistake/);
    expect(await t.idp.services.passwords.get('O.12345678.MARIO', 'dispositive')).toMatchObject({ locked: true, failures: 5 });
    // Locked: even the right password is refused alike.
    const right = await browser.submit(page, { dispositive_password: 'Disp0s1', otp: '123456' });
    expect(right.status).toBe(401);
  });
});

describe('psd2 profile: a login left 5 minutes without activity', () => {
  let t: TestIdp;
  const clock = new ManualClock();
  beforeAll(async () => { t = await startIdp({ overrides: { rateLimit, policyProfile: 'psd2' }, options: { clock } }); });
  afterAll(async () => t?.close());

  it('goes on while the user is active, past 5 minutes in all', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const first = await browser.go((await authorizationUrl(rp)).url);
    clock.advance(240_000);
    const again = await browser.go(first.url);
    expect(again.status).toBe(200);
    clock.advance(240_000);
    const done = await enterCredentials(browser, again, MARIO);
    expect(done.left).toMatch(/[?&]code=/);
  });

  it('is abandoned after 5 minutes without a request: the start-again page, audited, for good', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const first = await browser.go((await authorizationUrl(rp)).url);
    clock.advance(301_000);
    const late = await enterCredentials(browser, first, MARIO);
    expect(late.status).toBe(400);
    expect(late.left).toBeUndefined();
    expect(late.html).toMatch(/stopped this sign-in after a few minutes without activity/);
    expect(late.html).toMatch(/href="\/account"/); // a way forward: sign in again
    const uid = new URL(first.url).pathname.split('/')[2]!;
    const events = await t.idp.services.audit.query({ count: 5, filter: { event: 'login.idle' } });
    expect(events.some((e) => e.interaction === uid)).toBe(true);
    clock.advance(1_000);
    const after = await enterCredentials(browser, await browser.go(first.url), MARIO);
    expect(after.status).toBe(400);
    expect(after.left).toBeUndefined();
  });
});
