// The five password kinds of DESIGN.md's table, as the people involved meet them: how each is
// issued, the change at first use, each policy message, expiry (on a controllable clock), the lock at
// the 7th consecutive wrong entry, and who may unlock it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { DAY_MS, ManualClock } from '../../src/clock.ts';
import { runCli } from '../../src/cli/main.ts';
import { setActivationPassword } from '../../src/companies/branch-actions.ts';
import { credentialStatus } from '../../src/companies/credential-status.ts';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, login, relyingParty, type Credentials } from '../helpers/rp.ts';
import { ACME, BETA, COMPANY_DATA, postForm } from '../helpers/company-data.ts';

const clock = new ManualClock(Date.now());
let t: TestIdp;
let rp: oidc.Configuration;
beforeAll(async () => {
  t = await startIdp({ data: COMPANY_DATA, options: { clock } });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

const cli = (...args: string[]) => runCli(args, t.config, t.idp.store);
const cred = (id: string, kind: Parameters<TestIdp['idp']['services']['passwords']['get']>[1]) => t.idp.services.passwords.get(id, kind);

/** The page after identify + password at the relying party's login. */
async function loginPage(who: Credentials): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(t.issuer);
  const page = await enterCredentials(browser, await browser.go((await authorizationUrl(rp)).url), who);
  return { browser, page };
}

/** Wrong passwords at the login page, `n` times; every answer is the same generic refusal. */
async function wrongLogins(who: Omit<Extract<Credentials, { company_code: string }>, 'password'>, n: number): Promise<string[]> {
  const alerts: string[] = [];
  for (let i = 0; i < n; i += 1) alerts.push((await loginPage({ ...who, password: `Wrong${i}x` })).page.alert ?? '');
  return alerts;
}

/** A browser signed in as the company's administrator, on its administration home page. */
async function asAdmin(code: string, password: string): Promise<Browser> {
  const browser = new Browser(t.issuer);
  const page = await enterCredentials(browser, await browser.go(`${t.url}/account/company/${code}`), { company_code: code, password });
  if (page.url !== `${t.issuer}/account/company/${code}`) throw new Error(`not at the company page: ${page.url} ${page.title} ${page.alert ?? ''}`);
  return browser;
}

describe('activation password (chosen at the branch)', () => {
  it('lives as many days as the branch sets (15 to 30), then is expired', async () => {
    const s = t.idp.services;
    await setActivationPassword(s, ACME, 'ATTIVA20', 20, { id: 'test' });
    expect((await cred(`A.${ACME}`, 'activation'))?.expiresAt).toBe(clock.now() + 20 * DAY_MS);
    clock.advance(19 * DAY_MS);
    expect((await credentialStatus(s, `A.${ACME}`, 'activation')).expired).toBe(false);
    clock.advance(1 * DAY_MS);
    expect((await credentialStatus(s, `A.${ACME}`, 'activation')).expired).toBe(true);
    const verify = await s.passwords.verify(`A.${ACME}`, 'activation', 'ATTIVA20');
    expect(verify).toMatchObject({ ok: true, changeRequired: 'expired' });

    await expect(cli('company', 'set-activation-password', ACME, 'ATTIVA21', '--activation-days', '14')).rejects.toThrow('--activation-days: 15 to 30');
    await expect(cli('company', 'set-activation-password', ACME, 'ATTIVA21', '--activation-days', '31')).rejects.toThrow('--activation-days: 15 to 30');
    expect(await cli('company', 'set-activation-password', ACME, 'ATTIVA21', '--activation-days', '15')).toMatch(/activation password of 12345678 set \(and unlocked\); valid until \d{4}-\d\d-\d\d/);
  });

  it('refuses each policy violation with its own message', async () => {
    await expect(cli('company', 'set-activation-password', ACME, 'Ab1')).rejects.toThrow('The password is too short: at least 5 characters.');
    await expect(cli('company', 'set-activation-password', ACME, 'Abcdefghijk1')).rejects.toThrow('The password is too long: at most 10 characters.');
    await expect(cli('company', 'set-activation-password', ACME, 'Abc-1234')).rejects.toThrow('The password may contain letters and digits only.');
  });

  it('locks at the 7th wrong entry; only the branch unlocks it', async () => {
    const s = t.idp.services;
    const results = [];
    for (let i = 0; i < 7; i += 1) results.push((await s.passwords.verify(`A.${ACME}`, 'activation', `Nope${i}`)));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'locked_now']);
    expect(await s.passwords.verify(`A.${ACME}`, 'activation', 'ATTIVA21')).toMatchObject({ ok: false, reason: 'locked' });
    expect(await cli('company', 'unlock', ACME)).toBe('unlocked the activation password of 12345678');
    expect(await s.passwords.verify(`A.${ACME}`, 'activation', 'ATTIVA21')).toMatchObject({ ok: true });
    const events = await s.audit.query({ count: 5, filter: { event: 'credential.unlock', subject: `A.${ACME}` } });
    expect(events.at(-1)).toMatchObject({ actor: 'cli', reason: 'activation', outcome: 'success' });
  });
});

describe('operator password of the default operator (equal to the activation password)', () => {
  it('must be changed at first use, follows its policy and lasts a year', async () => {
    const { browser, page } = await loginPage({ company_code: BETA, operator_code: `OPER${BETA}`, password: 'BETA2024' });
    expect(formFields(page)).toContain('new_password');
    expect(page.html).toMatch(/must be changed at first use/);
    const cases: [string, string, RegExp][] = [
      ['abcd', 'abcd', /too short: at least 5/],
      ['abcdefghijk', 'abcdefghijk', /too long: at most 10/],
      ['Op-1234', 'Op-1234', /letters and digits only/],
      ['Oper001', 'Oper002', /two passwords differ/],
      ['BETA2024', 'BETA2024', /must differ from the current one/],
    ];
    let current = page;
    for (const [a, b, says] of cases) {
      current = await browser.submit(current, { new_password: a, new_password_confirm: b });
      expect(current.status).toBe(400);
      expect(current.alert).toMatch(says);
    }
    const done = await browser.submit(current, { new_password: 'Oper001', new_password_confirm: 'Oper001' });
    expect(done.left).toBeTruthy();
    expect((await cred(`O.${BETA}.OPER${BETA}`, 'operator'))?.expiresAt).toBe(clock.now() + 365 * DAY_MS);
    // The dispositive one was issued the same way and still waits for its change.
    expect(await credentialStatus(t.idp.services, `O.${BETA}.OPER${BETA}`, 'dispositive')).toMatchObject({ mustChange: true, locked: false });
  });

  it('locks at the 7th wrong entry; the operator cannot unlock itself, its administrator re-issues it', async () => {
    const who = { company_code: BETA, operator_code: `OPER${BETA}` };
    // Signed in before the lock: this session tries the administrator's re-issue page on itself.
    const self = new Browser(t.issuer);
    await login(self, rp, { ...who, password: 'Oper001' });
    const alerts = await wrongLogins(who, 7);
    expect(new Set(alerts).size).toBe(1);
    expect(await cred(`O.${BETA}.OPER${BETA}`, 'operator')).toMatchObject({ locked: true, failures: 7 });
    const refused = await loginPage({ ...who, password: 'Oper001' });
    expect(refused.page.alert).toBe(alerts[0]);

    const accountPage = await self.go(`${t.url}/account`);
    const csrf = accountPage.doc.querySelector('input[name=csrf]')?.getAttribute('value') ?? '';
    const selfReissue = await self.go(`${t.url}/account/company/${BETA}/operators/OPER${BETA}/password/operator`, {
      method: 'POST', body: new URLSearchParams({ csrf, new_password: 'Mine001', new_password_confirm: 'Mine001' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(selfReissue.status).toBe(403);
    expect(await cred(`O.${BETA}.OPER${BETA}`, 'operator')).toMatchObject({ locked: true });
    // The branch does not unlock operator passwords either: that is the administrator's job.
    await expect(cli('company', 'unlock', BETA, '--kind', 'operator')).rejects.toThrow(/re-issued by the company administrator/);

    const admin = await asAdmin(BETA, await firstAdminLogin(BETA, '9876543210', 'BetaAdm01'));
    const form = await admin.go(`${t.url}/account/company/${BETA}/operators/OPER${BETA}/password/operator`);
    expect(form.doc.querySelector('#state')?.text).toBe('locked');
    const mismatch = await postForm(admin, form, 'form[method=post]', { new_password: 'Nuova01', new_password_confirm: 'Nuova02' });
    expect(mismatch.alert).toMatch(/two passwords differ/);
    const bad = await postForm(admin, form, 'form[method=post]', { new_password: 'Nu1', new_password_confirm: 'Nu1' });
    expect(bad.alert).toBe('New password: The password is too short: at least 5 characters.');
    const ok = await postForm(admin, form, 'form[method=post]', { new_password: 'Nuova01', new_password_confirm: 'Nuova01' });
    expect(ok.doc.querySelector('[role=status]')?.text).toMatch(/New password set/);
    expect(await cred(`O.${BETA}.OPER${BETA}`, 'operator')).toMatchObject({ locked: false, failures: 0, mustChange: true });
    const next = await loginPage({ ...who, password: 'Nuova01' });
    expect(formFields(next.page)).toContain('new_password');
  });
});

/** The administrator's first login: the forced change; returns the new password. */
async function firstAdminLogin(code: string, issued: string, chosen: string): Promise<string> {
  const browser = new Browser(t.issuer);
  const page = await enterCredentials(browser, await browser.go(`${t.url}/account/company/${code}`), { company_code: code, password: issued });
  const done = await browser.submit(page, { new_password: chosen, new_password_confirm: chosen });
  if (!done.url.endsWith(`/account/company/${code}`)) throw new Error(`first login did not finish: ${done.alert ?? done.title}`);
  return chosen;
}

describe('dispositive password', () => {
  const id = `O.${ACME}.MARIO`;
  const page = (b: Browser) => b.go(`${t.url}/account/password/dispositive`);

  it('is changed with old, new and confirmation, each mistake with its own message; it lasts a month', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, rp, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
    const form = await page(browser);
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ password: 'Disp0s1', new_password: 'Dis1', new_password_confirm: 'Dis1' }, 400, /too short: at least 5/],
      [{ password: 'Disp0s1', new_password: 'Dispositiv01', new_password_confirm: 'Dispositiv01' }, 400, /too long: at most 10/],
      [{ password: 'Disp0s1', new_password: 'Disp-0s2', new_password_confirm: 'Disp-0s2' }, 400, /letters and digits only/],
      [{ password: 'Disp0s1', new_password: 'Disp0s2', new_password_confirm: 'Disp0s3' }, 400, /two passwords differ/],
      [{ password: 'Disp0s1', new_password: 'Disp0s1', new_password_confirm: 'Disp0s1' }, 400, /must differ from the current one/],
      [{ password: 'Wrong01', new_password: 'Disp0s2', new_password_confirm: 'Disp0s2' }, 401, /current password is wrong \(6 attempts left/],
      [{ password: '', new_password: 'Disp0s2', new_password_confirm: 'Disp0s2' }, 400, /Enter your current password/],
    ];
    for (const [fields, status, says] of cases) {
      const res = await browser.submit(form, fields);
      expect({ fields, status: res.status, alert: res.alert }).toMatchObject({ status, alert: expect.stringMatching(says) });
    }
    // One wrong current password was counted; the right one resets the count.
    const ok = await browser.submit(form, { password: 'Disp0s1', new_password: 'Disp0s2', new_password_confirm: 'Disp0s2' });
    expect(ok.doc.querySelector('[role=status]')?.text).toBe('Password changed.');
    expect(await cred(id, 'dispositive')).toMatchObject({ failures: 0, mustChange: false, expiresAt: clock.now() + 30 * DAY_MS });

    // A few days before the month is over the account page flags it; after, it is expired.
    clock.advance(25 * DAY_MS);
    const links = await browser.go(`${t.url}/account`);
    expect(links.doc.querySelectorAll('ul.links a').map((a) => a.text)).toContain('Change dispositive password (due)');
    expect((await page(browser)).doc.querySelector('#password-state')?.text).toMatch(/^This password expires in 5 days, on \d{2}\/\d{2}\/\d{4}\.$/);
    clock.advance(5 * DAY_MS);
    expect(await t.idp.services.passwords.verify(id, 'dispositive', 'Disp0s2')).toMatchObject({ ok: true, changeRequired: 'expired' });
  });

  it('locks at the 7th wrong entry; then even the right one is refused, and only the administrator re-issues it', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, rp, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' });
    const form = await page(browser);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await browser.submit(form, { password: `Wrong0${i}`, new_password: 'Disp0s3', new_password_confirm: 'Disp0s3' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 403]);
    const locked = await browser.submit(form, { password: 'Disp0s2', new_password: 'Disp0s3', new_password_confirm: 'Disp0s3' });
    expect(locked.status).toBe(403);
    expect(locked.alert).toBe('The dispositive password is locked: your company administrator can issue a new one.');
    expect(await cred(id, 'dispositive')).toMatchObject({ locked: true, failures: 7 });
    const events = await t.idp.services.audit.query({ count: 20, filter: { subject: id } });
    expect(events.filter((e) => e.event === 'credential.locked').at(-1)).toMatchObject({ reason: 'dispositive' });

    const admin = await asAdmin(ACME, await firstAdminLogin(ACME, '0123456789', 'AcmeAdm01'));
    const reissue = await admin.go(`${t.url}/account/company/${ACME}/operators/MARIO/password/dispositive`);
    await postForm(admin, reissue, 'form[method=post]', { new_password: 'Nuova02', new_password_confirm: 'Nuova02' });
    expect(await cred(id, 'dispositive')).toMatchObject({ locked: false, mustChange: true });
    const changed = await browser.submit(await page(browser), { password: 'Nuova02', new_password: 'Disp0s4', new_password_confirm: 'Disp0s4' });
    expect(changed.doc.querySelector('[role=status]')?.text).toBe('Password changed.');
  });
});

describe('administrator password (10 digits from the branch)', () => {
  it('is expired at first use, takes 8 to 10 letters or digits, and never expires', async () => {
    const created = await cli('company', 'create', '11112222', '--name', 'Gamma S.p.A.', '--activation-password', 'GAMMA01', '--account', '0000011111,0000022222');
    const issued = /administrator password .*: (\d{10})$/m.exec(created)?.[1];
    expect(issued).toMatch(/^\d{10}$/);
    expect(created).toMatch(/default operator OPER11112222/);
    const browser = new Browser(t.issuer);
    const page = await enterCredentials(browser, await browser.go(`${t.url}/account/company/11112222`), { company_code: '11112222', password: issued! });
    expect(page.html).toMatch(/must be changed at first use/);
    const cases: [string, RegExp][] = [
      ['Abc1234', /too short: at least 8/],
      ['Abcdefgh123', /too long: at most 10/],
      ['Abcd-1234', /letters and digits only/],
      [issued!, /must differ from the current one/],
    ];
    let current = page;
    for (const [p, says] of cases) {
      current = await browser.submit(current, { new_password: p, new_password_confirm: p });
      expect(current.alert).toMatch(says);
    }
    const home = await browser.submit(current, { new_password: 'Gamma2024', new_password_confirm: 'Gamma2024' });
    expect(home.doc.querySelector('#company-code')?.text).toBe('11112222');
    expect((await cred('A.11112222', 'administrator'))?.expiresAt).toBe(0);
    clock.advance(5 * 365 * DAY_MS);
    const later = await loginPage({ company_code: '11112222', password: 'Gamma2024' });
    expect(later.page.left).toBeTruthy();
  });

  it('is changed by its administrator with old, new and confirmation', async () => {
    const admin = await asAdmin('11112222', 'Gamma2024');
    const form = await admin.go(`${t.url}/account/password/administrator`);
    const bad = await admin.submit(form, { password: 'Gamma2024', new_password: 'G2024', new_password_confirm: 'G2024' });
    expect(bad.alert).toMatch(/too short: at least 8/);
    const ok = await admin.submit(form, { password: 'Gamma2024', new_password: 'Gamma2025', new_password_confirm: 'Gamma2025' });
    expect(ok.doc.querySelector('[role=status]')?.text).toBe('Password changed.');
    await loginPage({ company_code: '11112222', password: 'Gamma2025' }).then(({ page }) => expect(page.left).toBeTruthy());
  });

  it('locks at the 7th wrong entry; the branch does not unlock it but issues a new one', async () => {
    const who = { company_code: '11112222' };
    await wrongLogins(who, 7);
    expect(await cred('A.11112222', 'administrator')).toMatchObject({ locked: true });
    expect((await loginPage({ ...who, password: 'Gamma2025' })).page.status).toBe(401);
    await expect(cli('company', 'unlock', '11112222', '--kind', 'administrator')).rejects.toThrow(/the branch issues a new one/);
    const out = await cli('company', 'reset-admin-password', '11112222', '--json');
    const { admin_password: fresh } = JSON.parse(out) as { admin_password: string };
    expect(fresh).toMatch(/^\d{10}$/);
    const { page } = await loginPage({ ...who, password: fresh });
    expect(formFields(page)).toContain('new_password');
    const audit = await t.idp.services.audit.query({ count: 5, filter: { event: 'credential.reissue', subject: 'A.11112222' } });
    expect(audit.at(-1)).toMatchObject({ actor: 'cli', reason: 'administrator' });
    expect(JSON.stringify(audit)).not.toContain(fresh);
  });
});
