// A company's life, end to end with openid-client: the administrator's first login with the forced
// change, a new operator with its accounts and functions, the operator's first login, both of its
// passwords changed, and the claims a relying party gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser, formFields } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, login, relyingParty } from '../helpers/rp.ts';
import { ACME, COMPANY_DATA, postForm } from '../helpers/company-data.ts';

let t: TestIdp;
let rp: oidc.Configuration;
beforeAll(async () => {
  t = await startIdp({ data: COMPANY_DATA });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

describe('company administration, end to end', () => {
  it('administrator first login, new operator, operator login and password changes, claims', async () => {
    // The administrator: company code, no operator code, the 10-digit password from the branch.
    const admin = new Browser(t.issuer);
    const identify = await admin.go(`${t.url}/account/company`);
    const forced = await enterCredentials(admin, identify, { company_code: ACME, password: '0123456789' });
    expect(formFields(forced)).toEqual(expect.arrayContaining(['new_password', 'new_password_confirm']));
    expect(forced.html).toMatch(/must be changed at first use/);
    const tooShort = await admin.submit(forced, { new_password: 'Abc1234', new_password_confirm: 'Abc1234' });
    expect(tooShort.alert).toMatch(/too short: at least 8/);
    const home = await admin.submit(tooShort, { new_password: 'Amministr1', new_password_confirm: 'Amministr1' });
    expect(home.url).toBe(`${t.issuer}/account/company/${ACME}`);
    expect(home.doc.querySelector('#company-name')?.text).toBe('ACME S.p.A.');

    // A new operator, with two passwords the administrator sets.
    const form = await admin.go(`${t.url}/account/company/${ACME}/new-operator`);
    const badPassword = await postForm(admin, form, 'form[method=post]', { operator_code: 'luigi', operator_password: 'Luigi-01', dispositive_password: 'LuigiD1' });
    expect(badPassword.status).toBe(400);
    expect(badPassword.alert).toBe('Operator password: The password may contain letters and digits only.');
    const created = await postForm(admin, form, 'form[method=post]', {
      operator_code: 'luigi', given_name: 'Luigi', family_name: 'Bianchi', operator_password: 'Luigi01', dispositive_password: 'LuigiD1',
    });
    expect(created.url).toMatch(/\/operators\/LUIGI\?created=1$/);
    expect(created.doc.querySelector('#operator-code')?.text).toBe('LUIGI');
    const again = await postForm(admin, form, 'form[method=post]', { operator_code: 'LUIGI', operator_password: 'Luigi01', dispositive_password: 'LuigiD1' });
    expect(again.status).toBe(409);
    expect(again.alert).toMatch(/LUIGI exists already/);

    // The list finds it by code or by name.
    const rows = async (q: string) => (await admin.go(`${t.url}/account/company/${ACME}/operators?q=${q}`)).doc.querySelectorAll('tr[data-operator]').map((r) => r.getAttribute('data-operator'));
    expect(await rows('')).toEqual(['LUIGI', 'MARIO', `OPER${ACME}`]);
    expect(await rows('bianchi')).toEqual(['LUIGI']);
    expect(await rows('oper')).toEqual([`OPER${ACME}`]);

    // Its accounts and functions; and "select all" on one account's functions.
    const granted = await postForm(admin, created, '#grants', { account: ['0000012345', '0000067890'], function: ['balance', 'payments'] });
    expect(granted.status).toBe(200);
    expect(granted.doc.querySelectorAll('#grants input[name=account][checked]').length).toBe(2);
    const account = await admin.go(`${t.url}/account/company/${ACME}/accounts/0000067890`);
    // "Enable every function" asks first, saying what will happen; nothing changes until confirmed.
    const ask = await postForm(admin, account, 'form[method=post]', { select_all: '1' });
    expect(ask.title).toBe('Enable every function of account 0000067890?');
    expect(ask.doc.querySelector('#consequences')?.text).toMatch(/All 7 functions available will be enabled on account 0000067890/);
    expect((await admin.go(`${t.url}/account/company/${ACME}/accounts/0000067890`)).doc.querySelectorAll('input[name=function][checked]').length).toBe(1);
    const all = await postForm(admin, ask, '#confirm', {});
    expect(all.doc.querySelectorAll('input[name=function][checked]').length).toBe(t.config.treasuryFunctions.length);
    expect(all.doc.querySelector('a[href$="/accounts"]')).toBeTruthy();

    // The operator's first login asks for a new operator password; the claims show what it may use.
    const operator = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { scope: 'openid treasury' });
    const first = await enterCredentials(operator, await operator.go(started.url), { company_code: ACME, operator_code: 'luigi', password: 'Luigi01' });
    expect(first.html).toMatch(/must be changed at first use/);
    const done = await operator.submit(first, { new_password: 'Luigi02', new_password_confirm: 'Luigi02' });
    const tokens = await exchange(rp, started, done.left!);
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({
      company_code: ACME, company_name: 'ACME S.p.A.', operator_code: 'LUIGI', role: 'operator',
      accounts: [{ number: '0000012345', functions: ['balance', 'payments'] }, { number: '0000067890', functions: ['balance', 'payments'] }],
      functions: ['balance', 'payments'],
    });

    // Self-service: the dispositive password (issued by the administrator: to be changed), then the operator one.
    const links = await operator.go(`${t.url}/account`);
    const labels = links.doc.querySelectorAll('ul.links a').map((a) => a.text);
    expect(labels).toEqual(expect.arrayContaining(['Change operator password', 'Change dispositive password (due)']));
    expect(labels.filter((l) => /password/i.test(l))).toHaveLength(2);
    const disp = await operator.go(`${t.url}/account/password/dispositive`);
    expect(disp.doc.querySelector('#password-state')?.text).toMatch(/issued to you: change it/);
    const dispDone = await operator.submit(disp, { password: 'LuigiD1', new_password: 'LuigiD2', new_password_confirm: 'LuigiD2' });
    expect(dispDone.doc.querySelector('[role=status]')?.text).toBe('Password changed.');
    expect(dispDone.doc.querySelector('#password-state')?.text).toMatch(/expires in 30 days/);
    const op = await operator.go(`${t.url}/account/password/operator`);
    const opDone = await operator.submit(op, { password: 'Luigi02', new_password: 'Luigi03', new_password_confirm: 'Luigi03' });
    expect(opDone.doc.querySelector('[role=status]')?.text).toBe('Password changed.');

    // The new password logs in; the administrator narrows the functions and the claims follow.
    await postForm(admin, await admin.go(`${t.url}/account/company/${ACME}/operators/LUIGI`), '#grants', { account: ['0000067890'], function: ['payments'] });
    const next = await login(new Browser(t.issuer), rp, { company_code: ACME, operator_code: 'LUIGI', password: 'Luigi03' }, { scope: 'openid treasury' });
    const info2 = await oidc.fetchUserInfo(rp, next.access_token, next.claims()!.sub);
    expect(info2).toMatchObject({ accounts: [{ number: '0000067890', functions: ['payments'] }], functions: ['payments'] });

    const events = await t.idp.services.audit.query({ count: 200, filter: { actor: `A.${ACME}` } });
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['company.operator.create', 'company.operator.grants', 'company.account.functions']));
    const changes = await t.idp.services.audit.query({ count: 50, filter: { event: 'password.change', subject: `O.${ACME}.LUIGI`, outcome: 'success' } });
    expect(changes.map((e) => e.reason)).toEqual(['operator', 'dispositive: changed', 'operator: changed']);
    expect(JSON.stringify(await t.idp.services.audit.query({ count: 1000 }))).not.toMatch(/Luigi0|LuigiD|Amministr1|0123456789/);
  });

  it('gives an operator enabled at import its accounts and functions, in the ID token when asked', async () => {
    const claims = JSON.stringify({ id_token: { company_code: null, operator_code: null, role: null, accounts: null, functions: null } });
    const tokens = await login(new Browser(t.issuer), rp, { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' }, { scope: 'openid treasury', claims });
    const expected = { company_code: ACME, operator_code: 'MARIO', role: 'operator', accounts: [{ number: '0000012345', functions: ['balance'] }], functions: ['balance'] };
    expect(tokens.claims()).toMatchObject(expected);
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub)).toMatchObject(expected);
  });

  it('gives an administrator its company and role, and no accounts', async () => {
    const tokens = await login(new Browser(t.issuer), rp, { company_code: ACME, password: 'Amministr1' }, { scope: 'openid treasury' });
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ company_code: ACME, role: 'administrator' });
    expect(info).not.toHaveProperty('accounts');
    expect(info).not.toHaveProperty('operator_code');
  });
});
