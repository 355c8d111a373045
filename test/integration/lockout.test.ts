// Lockout is exact across processes: the counter and the lock change only in one Lua script.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as oidc from 'openid-client';
import { Browser, type Page } from '../helpers/browser.ts';
import { MARIO, OPERATOR } from '../helpers/data.ts';
import { realRedis, startIdp, storeEnv, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, exchange, login, relyingParty } from '../helpers/rp.ts';
import { runCli } from '../../src/cli/main.ts';

let a: TestIdp;
let b: TestIdp;
let rp: oidc.Configuration;

// These tests are about the lockout's counting: the abuse limits (test/integration/rate-limit.test.ts)
// are set out of its way.
const rateLimit = { ipFailures: 10_000, ipWindowSeconds: 900, accountFailures: 10_000, accountWindowSeconds: 900, slowFailures: 10_000, slowWindowDays: 30 };

beforeAll(async () => {
  a = await startIdp({ overrides: { rateLimit } });
  // A second process of the same deployment: same Redis, same key prefix, same issuer.
  b = await startIdp({ data: null, overrides: { redisPrefix: a.config.redisPrefix, issuer: a.issuer, rateLimit } });
  rp = await relyingParty(a.issuer);
});
afterAll(async () => { await b?.close(); await a?.close(); });

/** A browser at the password page for this user, on instance `via`. */
async function atPasswordPage(who: Record<string, string>, via: TestIdp): Promise<{ browser: Browser; page: Page; started: Awaited<ReturnType<typeof authorizationUrl>> }> {
  const browser = new Browser(a.issuer);
  browser.via = via.url;
  const started = await authorizationUrl(rp);
  const page = await browser.submit(await browser.go(started.url), who);
  return { browser, page, started };
}

async function credential(id: string, kind: string) {
  return a.idp.services.passwords.get(id, kind as never);
}

describe('lockout', () => {
  it('counts exactly 7 of 50 concurrent wrong passwords over two processes, then refuses the right one alike', async () => {
    const who = { fiscal_code: MARIO.fiscal_code };
    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => atPasswordPage(who, i % 2 ? b : a)));
    const results = await Promise.all(pages.map(({ browser, page }, i) => browser.submit(page, { password: `Wrong-${i}` })));
    expect(results.every((r) => r.status === 401)).toBe(true);
    const wrongMessage = results[0]!.alert;
    expect(new Set(results.map((r) => r.alert)).size).toBe(1);

    const cred = await credential(`C.${MARIO.fiscal_code}`, 'personal');
    expect(cred).toMatchObject({ failures: 7, locked: true });

    // The right password is refused now, with the very same message as a wrong one.
    const { browser, page } = await atPasswordPage(who, a);
    const refused = await browser.submit(page, { password: MARIO.password });
    expect(refused.status).toBe(401);
    expect(refused.alert).toBe(wrongMessage);
    // An unknown user sees the same too.
    const unknown = await atPasswordPage({ fiscal_code: 'BNCGPP80A01H501E' }, b);
    expect((await unknown.browser.submit(unknown.page, { password: 'Whatever-1' })).alert).toBe(wrongMessage);
    expect((await credential(`C.${MARIO.fiscal_code}`, 'personal'))?.failures).toBe(7);

    // Unlocked by the back office: the right password works again and the count starts over.
    expect(await runCli(['unlock', MARIO.fiscal_code], a.config, a.idp.store)).toMatch(/unlocked the personal password/);
    expect(await credential(`C.${MARIO.fiscal_code}`, 'personal')).toMatchObject({ failures: 0, locked: false });
    const tokens = await login(new Browser(a.issuer), rp, MARIO);
    expect(tokens.claims()!.acr).toBe('urn:idp:loa:1');

    const events = await a.idp.services.audit.recent(2000, { subject: `C.${MARIO.fiscal_code}` });
    const reasons = events.filter((e) => e.event === 'login.password' && e.outcome === 'failure').map((e) => e.reason);
    expect(reasons.filter((r) => r === 'wrong')).toHaveLength(6);
    expect(reasons.filter((r) => r === 'locked_now')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'locked').length).toBeGreaterThanOrEqual(44);
    expect(events.some((e) => e.event === 'credential.unlock' && e.actor === 'cli')).toBe(true);
  });

  it('resets the count after a successful login', async () => {
    const { browser, page } = await atPasswordPage({ company_code: OPERATOR.company_code, operator_code: OPERATOR.operator_code }, b);
    let current = page;
    for (let i = 0; i < 6; i += 1) current = await browser.submit(current, { password: `Wrong${i}x` });
    expect((await credential('O.12345678.MARIO', 'operator'))?.failures).toBe(6);
    await login(new Browser(a.issuer), rp, OPERATOR);
    expect((await credential('O.12345678.MARIO', 'operator'))?.failures).toBe(0);
  });

  it('unlocks a citizen from the command line against REDIS_URL, and leaves company passwords to their rules', { skip: !realRedis }, async () => {
    const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, ...storeEnv(), REDIS_PREFIX: a.config.redisPrefix }, encoding: 'utf8',
    });
    const citizen = `C.${MARIO.fiscal_code}`;
    for (let i = 0; i < 7; i += 1) await a.idp.services.passwords.verify(citizen, 'personal', 'nope');
    expect((await credential(citizen, 'personal'))?.locked).toBe(true);
    const run = cli('unlock', MARIO.fiscal_code.toLowerCase());
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/unlocked the personal password of/);
    expect((await credential(citizen, 'personal'))?.locked).toBe(false);

    // An operator's password is re-issued by the company administrator, not unlocked by the branch.
    const operator = 'O.12345678.MARIO';
    for (let i = 0; i < 7; i += 1) await a.idp.services.passwords.verify(operator, 'operator', 'nope');
    const refused = cli('unlock', '12345678', 'mario');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/re-issued .* by the company administrator/);
    expect((await credential(operator, 'operator'))?.locked).toBe(true);
    const admin = cli('unlock', '12345678');
    expect(admin.stderr).toMatch(/the branch issues a new one/);
  });
});

describe('several processes', () => {
  it('finishes on instance B a login started on instance A', async () => {
    const browser = new Browser(a.issuer);
    const started = await authorizationUrl(rp);
    const identify = await browser.go(started.url);          // on A
    browser.via = b.url;
    const password = await browser.submit(identify, { fiscal_code: MARIO.fiscal_code }); // on B
    browser.via = undefined;
    const done = await browser.submit(password, { password: MARIO.password }); // on A again
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()!.amr).toEqual(['pwd']);
    // And the SSO session made on A is known to B.
    browser.via = b.url;
    const sso = await browser.go((await authorizationUrl(rp)).url);
    expect(sso.left).toBeTruthy();
  });
});
