// Expiry follows the kind's policy on a controllable clock: a warning some days before, a forced
// change after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { DAY_MS, ManualClock } from '../../src/clock.ts';
import { Browser, formFields } from '../helpers/browser.ts';
import { OPERATOR } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, login, relyingParty } from '../helpers/rp.ts';

const clock = new ManualClock(Date.now());
let t: TestIdp;
let rp: oidc.Configuration;

beforeAll(async () => {
  t = await startIdp({ options: { clock } });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

describe('operator password expiry (yearly)', () => {
  it('warns in the last days, then forces a change once a year has passed', async () => {
    clock.advance(360 * DAY_MS);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp);
    const warning = await enterCredentials(browser, await browser.go(started.url), OPERATOR);
    // No change needed yet: a warning with the days left, then on to the client.
    expect(warning.doc.querySelector('[role=status]')?.text).toMatch(/expires in 5 days/);
    const afterPassword = await browser.submit(warning, {});
    expect(afterPassword.left).toBeTruthy();
    const audit = await t.idp.services.audit.recent(5, { event: 'login.password', subject: 'O.12345678.MARIO' });
    expect(audit.at(-1)?.outcome).toBe('success');

    clock.advance(6 * DAY_MS);
    const b2 = new Browser(t.issuer);
    const s2 = await authorizationUrl(rp);
    const change = await enterCredentials(b2, await b2.go(s2.url), OPERATOR);
    expect(formFields(change)).toContain('new_password');
    expect(change.html).toMatch(/has expired/);
    const bad = await b2.submit(change, { new_password: 'Ab-12', new_password_confirm: 'Ab-12' });
    expect(bad.alert).toMatch(/letters and digits only/);
    const done = await b2.submit(bad, { new_password: 'NewOper1', new_password_confirm: 'NewOper1' });
    await exchange(rp, s2, done.left!);
    const cred = await t.idp.services.passwords.get('O.12345678.MARIO', 'operator');
    expect(cred?.expiresAt).toBe(clock.now() + 365 * DAY_MS);
    await login(new Browser(t.issuer), rp, { ...OPERATOR, password: 'NewOper1' });
  });
});
