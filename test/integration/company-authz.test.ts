// Who may do what: every company administration page refuses anyone but that company's
// administrator, every back-office page anyone without the back-office role, and the commands a
// company that does not exist or an actor who is not back-office staff: a 403 (or an error), an
// audit event, and nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { runCli } from '../../src/cli/main.ts';
import { keys } from '../../src/store/keys.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { enterCredentials, login, relyingParty, type Credentials } from '../helpers/rp.ts';
import { ACME, BETA, CITIZEN, COMPANY_DATA, csrfOf, postForm, postTo, STAFF } from '../helpers/company-data.ts';

let t: TestIdp;
let rp: oidc.Configuration;
const who: Record<string, { browser: Browser; csrf: string }> = {};

/** Signs in (changing an issued password if asked) and keeps the session's form token. */
async function signIn(name: string, creds: Credentials, kind: string, newPassword?: string): Promise<void> {
  const browser = new Browser(t.issuer);
  if (newPassword) {
    const page = await enterCredentials(browser, await browser.go(`${t.url}/account`), creds);
    await browser.submit(page, { new_password: newPassword, new_password_confirm: newPassword });
  } else {
    await login(browser, rp, creds);
  }
  who[name] = { browser, csrf: csrfOf(await browser.go(`${t.url}/account/password/${kind}`)) };
}

beforeAll(async () => {
  // The back office asks for loa:2 by default (BACKOFFICE_ACR); these staff have no second factor,
  // and what is checked here is who may do what, so the level is loa:1 in this file.
  t = await startIdp({ data: COMPANY_DATA, overrides: { backofficeAcr: 'urn:idp:loa:1' } });
  rp = await relyingParty(t.issuer);
  await signIn('acmeAdmin', { company_code: ACME, password: '0123456789' }, 'administrator', 'AcmeAdm01');
  await signIn('betaAdmin', { company_code: BETA, password: '9876543210' }, 'administrator', 'BetaAdm01');
  await signIn('operator', { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' }, 'operator');
  await signIn('citizen', CITIZEN, 'personal');
  await signIn('staff', STAFF, 'personal');
});
afterAll(async () => t?.close());

/** Everything a company's security state is made of, to compare before and after. */
async function snapshot(): Promise<string> {
  const r = t.idp.services.redis;
  const out: Record<string, unknown> = {};
  for (const code of [ACME, BETA]) {
    out[`company ${code}`] = await r.hgetall(keys.company(code));
    out[`operators ${code}`] = (await r.smembers(keys.companyOperators(code))).sort();
    out[`admin ${code}`] = await r.hgetall(keys.credential(`A.${code}`, 'administrator'));
    out[`activation ${code}`] = await r.hgetall(keys.credential(`A.${code}`, 'activation'));
  }
  for (const id of [`O.${ACME}.MARIO`, `O.${ACME}.OPER${ACME}`]) {
    out[id] = await r.hgetall(keys.account(id));
    out[`${id} grants`] = await r.hgetall(keys.operatorGrants(id));
    for (const kind of ['operator', 'dispositive']) out[`${id} ${kind}`] = await r.hgetall(keys.credential(id, kind));
  }
  out.companies = (await r.smembers(keys.companies)).sort();
  out.evil = await r.exists(keys.account(`O.${ACME}.EVIL`));
  return JSON.stringify(out);
}

const A = `/account/company/${ACME}`;
const ADMIN_GETS = [A, `${A}/accounts`, `${A}/accounts/0000012345`, `${A}/operators`, `${A}/operators?q=MA`, `${A}/new-operator`, `${A}/operators/MARIO`, `${A}/operators/MARIO/password/operator`];
const ADMIN_POSTS: [string, Record<string, string>][] = [
  [A, { email: 'evil@example.org', phone: '' }],
  [`${A}/accounts/0000012345`, { select_all: '1' }],
  [`${A}/new-operator`, { operator_code: 'EVIL', operator_password: 'Evil001', dispositive_password: 'Evil002' }],
  [`${A}/operators/MARIO`, { select_all: '1' }],
  [`${A}/operators/MARIO/status`, { disabled: '1' }],
  [`${A}/operators/MARIO/password/operator`, { new_password: 'Evil001', new_password_confirm: 'Evil001' }],
  [`${A}/operators/MARIO/password/dispositive`, { new_password: 'Evil001', new_password_confirm: 'Evil001' }],
];
const BO = `/backoffice/companies`;
const BACKOFFICE_GETS = [BO, `${BO}?q=acme`, `${BO}/${ACME}`];
const BACKOFFICE_POSTS: [string, Record<string, string>][] = [
  [BO, { company_code: '33334444', name: 'Evil', activation_password: 'EVIL001', activation_days: '20', accounts: '' }],
  [`${BO}/${ACME}/admin-password`, {}],
  [`${BO}/${ACME}/activation-password`, { activation_password: 'EVIL001', activation_days: '20' }],
  [`${BO}/${ACME}/unlock`, {}],
  [`${BO}/${ACME}/accounts`, { number: '0000055555' }],
];

async function denials(): Promise<number> {
  return (await t.idp.services.audit.query({ count: 10000, filter: { event: 'access.denied' } })).length;
}

describe('company administration pages', () => {
  it('serve the company administrator, in Italian and English, every string translated', async () => {
    for (const lang of ['it', 'en']) {
      for (const path of [...ADMIN_GETS, '/account', '/account/password/administrator']) {
        const page = await who.acmeAdmin!.browser.go(`${t.url}${path}`, { headers: { 'accept-language': lang } });
        expect({ path, status: page.status }).toEqual({ path, status: 200 });
        expect(page.doc.querySelector('html')?.getAttribute('lang')).toBe(lang);
        expect(page.html).not.toMatch(/>[^<]*\b(company|backoffice|self_password|function|change_password|password)\.[a-z_.]+/);
      }
    }
    const italian = await who.acmeAdmin!.browser.go(`${t.url}${A}`, { headers: { 'accept-language': 'it' } });
    expect(italian.title).toBe('Amministrazione azienda');
  });

  for (const name of ['betaAdmin', 'operator', 'citizen', 'staff']) {
    it(`refuse ${name}: 403, an audit event, nothing changed`, async () => {
      const { browser, csrf } = who[name]!;
      const before = await snapshot();
      const denied = await denials();
      for (const path of ADMIN_GETS) expect({ path, status: (await browser.go(`${t.url}${path}`)).status }).toEqual({ path, status: 403 });
      for (const [path, fields] of ADMIN_POSTS) {
        const page = await postTo(browser, `${t.url}${path}`, { csrf, ...fields });
        expect({ path, status: page.status }).toEqual({ path, status: 403 });
        expect(page.alert).toBe('You may not do this.');
      }
      expect(await snapshot()).toBe(before);
      expect(await denials()).toBe(denied + ADMIN_GETS.length + ADMIN_POSTS.length);
      const last = (await t.idp.services.audit.query({ count: 1, filter: { event: 'access.denied' } }))[0]!;
      expect(last).toMatchObject({ outcome: 'failure', subject: `${A}/operators/MARIO/password/dispositive` });
      expect(last.actor).toMatch(/^[ACO]\./);
      if (name === 'betaAdmin') expect(last.reason).toBe('administrator of another company');
    });
  }

  it('refuse a forged form (no or wrong token) from the administrator himself', async () => {
    const before = await snapshot();
    const { browser } = who.acmeAdmin!;
    for (const [path, fields] of ADMIN_POSTS) {
      expect((await postTo(browser, `${t.url}${path}`, fields)).status).toBe(403);
      expect((await postTo(browser, `${t.url}${path}`, { ...fields, csrf: 'forged' })).status).toBe(403);
    }
    expect(await snapshot()).toBe(before);
  });

  it('answer bad input with a 4xx naming the problem, and change nothing', async () => {
    const { browser, csrf } = who.acmeAdmin!;
    const before = await snapshot();
    const cases: [string, Record<string, string | string[]>, number, RegExp][] = [
      [A, { csrf, email: 'not-an-email', phone: '' }, 400, /email address is not valid/],
      [A, { csrf, email: '', phone: '0577 123' }, 400, /international format/],
      [`${A}/accounts/0000012345`, { csrf, function: ['balance', 'rob-the-bank'] }, 400, /Unknown function: rob-the-bank/],
      [`${A}/accounts/0000099999`, { csrf, select_all: '1' }, 404, /does not exist/],
      [`${A}/operators/MARIO`, { csrf, account: '0000099999' }, 400, /no account 0000099999/],
      [`${A}/operators/NOBODY`, { csrf, select_all: '1' }, 404, /does not exist/],
      [`${A}/operators/MARIO/status`, { csrf, disabled: 'maybe' }, 400, /disabled is not valid/],
      [`${A}/operators/MARIO/password/personal`, { csrf, new_password: 'Abcde1', new_password_confirm: 'Abcde1' }, 404, /does not exist/],
      [`${A}/new-operator`, { csrf, operator_code: 'bad code', operator_password: 'Good001', dispositive_password: 'Good002' }, 400, /1 to 20 letters or digits/],
      [`${A}/new-operator`, { csrf, operator_code: `OPER${ACME}`, operator_password: 'Good001', dispositive_password: 'Good002' }, 409, /exists already/],
      [`${A}/new-operator`, { csrf, operator_code: 'NEWONE', operator_password: 'Good001' }, 400, /dispositive password/],
      [`${A}/new-operator`, { csrf, operator_code: 'NEWONE', operator_password: 'Good001', dispositive_password: 'x'.repeat(300) }, 400, /too long/],
    ];
    for (const [path, fields, status, says] of cases) {
      const page = await postTo(browser, `${t.url}${path}`, fields);
      expect({ path, fields, status: page.status }).toEqual({ path, fields, status });
      expect(page.html).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(page.alert ?? page.html).toMatch(says);
    }
    for (const path of [`${A}/accounts/%E0%A4%A`, `${A}/operators/..%2F..%2FA.87654321`, `${A}/operators/MARIO/password/%00`, `${A}/operators/${'X'.repeat(300)}`, `${A}/accounts/0000012345?ui_locales=%FF`]) {
      const page = await browser.go(`${t.url}${path}`);
      expect({ path, status: page.status >= 400 && page.status < 500 || page.status === 200 }).toEqual({ path, status: true });
      expect(page.html).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    expect(await snapshot()).toBe(before);
  });

  it('let the administrator disable an operator, who then cannot sign in, and enable it again', async () => {
    const { browser } = who.acmeAdmin!;
    const page = await browser.go(`${t.url}${A}/operators/OPER${ACME}`);
    // Disabling asks first and says what will happen; the operator can still sign in until confirmed.
    const ask = await postForm(browser, page, '#status', {});
    expect(ask.title).toBe(`Disable operator OPER${ACME}?`);
    expect(ask.doc.querySelector('#consequences')?.text).toMatch(/will no longer be able to sign in/);
    expect((await t.idp.services.accounts.findById(`O.${ACME}.OPER${ACME}`))?.disabled).toBeFalsy();
    const disabled = await postForm(browser, ask, '#confirm', {});
    expect(disabled.doc.querySelector('#operator-state')?.text).toBe('disabled');
    const attempt = new Browser(t.issuer);
    const refused = await enterCredentials(attempt, await attempt.go(`${t.url}/account`), { company_code: ACME, operator_code: `OPER${ACME}`, password: 'PIPPO138' });
    expect(refused.status).toBe(401);
    const enabled = await postForm(browser, disabled, '#status', {});
    expect(enabled.doc.querySelector('#operator-state')?.text).toBe('enabled');
    const events = await t.idp.services.audit.query({ count: 2, filter: { subject: `O.${ACME}.OPER${ACME}`, actor: `A.${ACME}` } });
    expect(events.map((e) => e.event)).toEqual(['company.operator.disable', 'company.operator.enable']);
  });
});

describe('back-office pages', () => {
  for (const name of ['acmeAdmin', 'operator', 'citizen']) {
    it(`refuse ${name}: 403, an audit event, nothing changed`, async () => {
      const { browser, csrf } = who[name]!;
      const before = await snapshot();
      const denied = await denials();
      for (const path of BACKOFFICE_GETS) expect({ path, status: (await browser.go(`${t.url}${path}`)).status }).toEqual({ path, status: 403 });
      for (const [path, fields] of BACKOFFICE_POSTS) expect({ path, status: (await postTo(browser, `${t.url}${path}`, { csrf, ...fields })).status }).toEqual({ path, status: 403 });
      expect(await snapshot()).toBe(before);
      expect(await denials()).toBe(denied + BACKOFFICE_GETS.length + BACKOFFICE_POSTS.length);
    });
  }

  it('serve back-office staff in Italian and English, every string translated', async () => {
    for (const lang of ['it', 'en']) {
      for (const path of BACKOFFICE_GETS) {
        const page = await who.staff!.browser.go(`${t.url}${path}`, { headers: { 'accept-language': lang } });
        expect({ path, status: page.status }).toEqual({ path, status: 200 });
        expect(page.html).not.toMatch(/>[^<]*\b(company|backoffice|function)\.[a-z_.]+/);
      }
    }
  });

  it('send staff through the login and back to the page they asked for', async () => {
    const browser = new Browser(t.issuer);
    const page = await enterCredentials(browser, await browser.go(`${t.url}${BO}/${ACME}`), STAFF);
    expect(page.url).toBe(`${t.issuer}${BO}/${ACME}`);
    expect(page.doc.querySelector('#company-code')?.text).toBe(ACME);
    const home = await browser.go(`${t.url}/account`);
    expect(home.doc.querySelectorAll('ul.links a').map((a) => a.getAttribute('href'))).toContain('/backoffice/companies');
  });

  it('let the branch create a company, showing the administrator password once, and act on it', async () => {
    const { browser } = who.staff!;
    const list = await browser.go(`${t.url}${BO}`);
    expect(list.doc.querySelectorAll('#companies tr[data-company]').map((r) => r.getAttribute('data-company'))).toEqual([ACME, BETA]);
    const shortLife = await postForm(browser, list, '#create', { company_code: '55556666', name: 'Delta', activation_password: 'DELTA01', activation_days: '40', accounts: '0000012121' });
    expect(shortLife.status).toBe(400);
    expect(shortLife.alert).toBe('The activation password lasts 15 to 30 days.');
    const badAccount = await postForm(browser, list, '#create', { company_code: '55556666', name: 'Delta', activation_password: 'DELTA01', activation_days: '20', accounts: '123' });
    expect(badAccount.alert).toMatch(/10 digits \(123 is not\)/);
    const taken = await postForm(browser, list, '#create', { company_code: ACME, name: 'Again', activation_password: 'DELTA01', activation_days: '20', accounts: '' });
    expect(taken.status).toBe(409);
    const created = await postForm(browser, list, '#create', { company_code: '55556666', name: 'Delta S.r.l.', activation_password: 'DELTA01', activation_days: '20', accounts: '0000012121 0000034343' });
    expect(created.status).toBe(201);
    const issued = created.doc.querySelector('#admin-password')?.text ?? '';
    expect(issued).toMatch(/^\d{10}$/);
    const shown = await browser.go(`${t.url}${BO}/55556666`);
    expect(shown.html).not.toContain(issued);
    expect(shown.doc.querySelector('#company-accounts')?.text).toBe('0000012121; 0000034343');
    expect(shown.doc.querySelector('#state-administrator')?.text).toMatch(/to be changed at first use/);
    expect(shown.doc.querySelectorAll('#operators li').map((li) => li.getAttribute('data-operator'))).toEqual(['OPER55556666']);

    // The default operator signs in with the activation password and must change it.
    const op = new Browser(t.issuer);
    const first = await enterCredentials(op, await op.go(`${t.url}/account`), { company_code: '55556666', operator_code: 'OPER55556666', password: 'DELTA01' });
    expect(first.html).toMatch(/must be changed at first use/);

    const ask = await postForm(browser, shown, '#admin-password', {});
    expect(ask.title).toBe('Issue a new administrator password?');
    expect(ask.doc.querySelector('#consequences')?.text).toMatch(/current password will stop working at once/);
    expect(ask.doc.querySelector('#admin-password')).toBeNull();
    const reissued = await postForm(browser, ask, '#confirm', {});
    const fresh = reissued.doc.querySelector('#admin-password')?.text ?? '';
    expect(fresh).toMatch(/^\d{10}$/);
    expect(fresh).not.toBe(issued);
    const activation = await postForm(browser, shown, '#activation', { activation_password: 'DELTA02', activation_days: '15' });
    expect(activation.doc.querySelector('[role=status]')?.text).toMatch(/Activation password set/);
    const unlocked = await postForm(browser, shown, '#unlock', {});
    expect(unlocked.doc.querySelector('[role=status]')?.text).toBe('Activation password unlocked.');
    const added = await postForm(browser, shown, '#add-account', { number: '0000056565' });
    expect(added.doc.querySelector('#company-accounts')?.text).toBe('0000012121; 0000034343; 0000056565');

    const events = (await t.idp.services.audit.query({ count: 100, filter: { actor: `C.${STAFF.fiscal_code}` } })).filter((e) => e.event !== 'access.denied');
    expect(events.map((e) => `${e.event} ${e.outcome} ${e.reason ?? ''}`.trim())).toEqual([
      'company.create failure exists',
      'company.create success 2 accounts',
      'credential.reissue success administrator',
      'credential.reissue success activation',
      'credential.unlock success activation',
      'company.account.add success 0000056565',
    ]);
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${issued}|${fresh}|DELTA0`));
  });
});

describe('company commands', () => {
  const cli = (...args: string[]) => runCli(args, t.config, t.idp.store);

  it('refuse an unknown company, an actor who is not back-office staff, and unlocks that are not the branch\'s', async () => {
    const before = await snapshot();
    await expect(cli('company', 'reset-admin-password', '99999999')).rejects.toThrow('No such company: 99999999.');
    await expect(cli('company', 'set-activation-password', '99999999', 'ATTIVA1')).rejects.toThrow('No such company: 99999999.');
    await expect(cli('company', 'unlock', '99999999')).rejects.toThrow('No such company: 99999999.');
    await expect(cli('company', 'show', '99999999')).rejects.toThrow('no such company: 99999999');
    await expect(cli('company', 'show', '1234')).rejects.toThrow('a company code is needed: 8 digits');
    await expect(cli('company', 'create', ACME, '--name', 'Again', '--activation-password', 'AGAIN01')).rejects.toThrow('Company 12345678 exists already.');
    await expect(cli('company', 'unlock', ACME, '--kind', 'dispositive')).rejects.toThrow(/re-issued by the company administrator/);
    await expect(cli('company', 'frobnicate', ACME)).rejects.toThrow('unknown company command: frobnicate');
    const denied = await denials();
    await expect(cli('company', 'reset-admin-password', ACME, '--actor', CITIZEN.fiscal_code)).rejects.toThrow(`${CITIZEN.fiscal_code} is not a back-office user: nothing done`);
    expect(await denials()).toBe(denied + 1);
    expect(await snapshot()).toBe(before);
  });

  it('show a company for people and for scripts, and record the acting staff member', async () => {
    const text = await cli('company', 'show', ACME);
    expect(text).toMatch(/^company 12345678 {2}ACME S\.p\.A\.$/m);
    expect(text).toMatch(/^ {2}0000012345 {2}balance, payments$/m);
    expect(text).toMatch(/^ {2}MARIO +enabled; operator password: active, no expiry|^ {2}MARIO +enabled; operator password: active, expires/m);
    const json = JSON.parse(await cli('company', 'show', ACME, '--json')) as { code: string; operators: { code: string }[]; administrator: { mustChange: boolean } };
    expect(json.code).toBe(ACME);
    expect(json.operators.map((o) => o.code)).toEqual(['MARIO', `OPER${ACME}`]);
    expect(json.administrator.mustChange).toBe(false);
    expect(await cli('company', 'list')).toMatch(/^12345678 {2}ACME S\.p\.A\. {2}\(2 accounts\)$/m);

    const out = await cli('company', 'add-account', BETA, '0000088888', '--actor', STAFF.fiscal_code);
    expect(out).toMatch(/added telematic account 0000088888 to 87654321/);
    const last = (await t.idp.services.audit.query({ count: 1, filter: { event: 'company.account.add' } }))[0];
    expect(last).toMatchObject({ actor: `C.${STAFF.fiscal_code}`, subject: BETA, reason: '0000088888' });
  });
});
