// The company administration pages (/account/company/CODE/...), for that company's administrator
// only, at ADMINISTRATION_ACR: company data, telematic accounts and their functions, operators.
// Anyone else gets a 403 and an audit event, and nothing changes.
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import type { AccountPlugin } from './plugin.ts';
import { requireSession, type AccountSession } from './session.ts';
import { checkboxes, postedForm, showPage } from './page.ts';
import { confirmed, confirmPage } from './confirm.ts';
import { describeFormError, field } from '../http/form.ts';
import { formPost } from '../http/form-post.ts';
import { Companies, CompanyError, defaultOperatorCode, OPERATOR_CODE, operatorId, type Company } from '../companies/companies.ts';
import { credentialStatus } from '../companies/credential-status.ts';
import {
  createOperator, reissueOperatorPassword, setAccountFunctions, setCompanyContacts, setOperatorDisabled, setOperatorGrants,
  type OperatorPasswordKind,
} from '../companies/admin-actions.ts';

interface Admin { session: AccountSession; company: Company; base: string }

/** The session of this company's administrator; otherwise a 403 (audited) or a redirect to log in. */
export async function requireCompanyAdmin(ctx: Koa.Context, s: Services): Promise<Admin | undefined> {
  const session = await requireSession(ctx, s, { acr: s.config.administrationAcr });
  if (!session) return undefined;
  const code = String(ctx.params.company ?? '');
  const { account } = session;
  const reason = account.type !== 'administrator' ? `not an administrator (${account.type})` : account.companyCode !== code ? 'administrator of another company' : undefined;
  if (reason) {
    await s.audit.record({ event: 'access.denied', outcome: 'failure', reason, actor: account.id, subject: ctx.path, ip: ctx.ip });
    ctx.throw(403, 'error.forbidden');
  }
  const company = await new Companies(s).get(code);
  if (!company) ctx.throw(404, 'error.not_found');
  return { session, company, base: `/account/company/${code}` };
}

const actorOf = (ctx: Koa.Context, a: Admin) => ({ id: a.session.account.id, ip: ctx.ip });

function failure(err: unknown): { error: string; errorParams: Record<string, string | number>; errorField?: string } {
  if (err instanceof CompanyError) return { error: err.key, errorParams: { ...err.params, ...(err.field ? { field: err.field } : {}) }, errorField: err.params.field ? `company.field.${err.params.field}` : undefined };
  throw err;
}

const contactsForm = z.object({ email: field(200).default(''), phone: field(32).default('') });
const functionsForm = z.object({ function: checkboxes, select_all: field(8).optional() });
const grantsForm = z.object({ account: checkboxes, function: checkboxes, select_all: field(8).optional() });
const newOperatorForm = z.object({
  operator_code: field(64).min(1, { error: 'company.operator_code_invalid' }),
  given_name: field(100).default(''),
  family_name: field(100).default(''),
  email: field(200).default(''),
  operator_password: field(256).min(1, { error: 'company.password_required' }),
  dispositive_password: field(256).min(1, { error: 'company.password_required' }),
});
const statusForm = z.object({ disabled: z.enum(['0', '1'], { error: 'form.invalid' }) });
const reissueForm = z.object({
  new_password: field(256).min(1, { error: 'company.password_required' }),
  new_password_confirm: field(256),
});
const KINDS: OperatorPasswordKind[] = ['operator', 'dispositive'];

function companyAdminRoutes(router: Router, s: Services): void {
  const form = formPost(s);
  const companies = new Companies(s);

  /** Parses a posted form; on bad input renders the page again with a 400. */
  async function parse<T>(ctx: Koa.Context, schema: z.ZodType<T>, again: (m: { error: string; errorParams: Record<string, string> }) => Promise<void>): Promise<T | undefined> {
    const parsed = schema.safeParse(postedForm(ctx));
    if (parsed.success) return parsed.data;
    const { key, params } = describeFormError(parsed.error);
    await again({ error: key, errorParams: params });
    return undefined;
  }

  router.get('/account/company', async (ctx) => {
    const session = await requireSession(ctx, s, { acr: s.config.administrationAcr });
    if (!session) return;
    if (session.account.type !== 'administrator' || !session.account.companyCode) {
      await s.audit.record({ event: 'access.denied', outcome: 'failure', reason: `not an administrator (${session.account.type})`, actor: session.account.id, subject: ctx.path, ip: ctx.ip });
      ctx.throw(403, 'error.forbidden');
    }
    ctx.redirect(`/account/company/${session.account.companyCode}`);
  });

  // Company data.
  const home = async (ctx: Koa.Context, a: Admin, m = {}) => {
    const operators = await companies.operatorCodes(a.company.code);
    showPage(ctx, s, a.session, 'views/company/home', { company: a.company, base: a.base, operators: operators.length }, m);
  };
  router.get('/account/company/:company', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) await home(ctx, a);
  });
  router.post('/account/company/:company', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, contactsForm, (m) => home(ctx, a, m));
    if (!f) return;
    try {
      await setCompanyContacts(s, a.company.code, f, actorOf(ctx, a));
    } catch (err) {
      return home(ctx, a, failure(err));
    }
    await home(ctx, { ...a, company: (await companies.get(a.company.code))! }, { notice: 'company.saved' });
  });

  // Telematic accounts and the functions each enables.
  router.get('/account/company/:company/accounts', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) showPage(ctx, s, a.session, 'views/company/accounts', { company: a.company, base: a.base });
  });
  const accountPage = async (ctx: Koa.Context, a: Admin, m = {}) => {
    const account = a.company.accounts.find((x) => x.number === ctx.params.number);
    if (!account) ctx.throw(404, 'error.not_found');
    showPage(ctx, s, a.session, 'views/company/account', { company: a.company, base: a.base, telematic: account, catalog: companies.functionCatalog(a.company) }, m);
  };
  router.get('/account/company/:company/accounts/:number', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) await accountPage(ctx, a);
  });
  router.post('/account/company/:company/accounts/:number', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, functionsForm, (m) => accountPage(ctx, a, m));
    if (!f) return;
    const number = String(ctx.params.number);
    if (f.select_all && !confirmed(ctx)) {
      if (!a.company.accounts.some((x) => x.number === number)) ctx.throw(404, 'error.not_found');
      return confirmPage(ctx, s, a.session, {
        title: 'confirm.all_functions.title', what: ['confirm.all_functions.what', 'confirm.all_functions.operators'], submit: 'confirm.all_functions.submit',
        params: { number, functions: companies.functionCatalog(a.company).length }, action: `${a.base}/accounts/${number}`,
        hidden: [['select_all', '1']], back: `${a.base}/accounts/${number}`,
      });
    }
    const functions = f.select_all ? companies.functionCatalog(a.company) : f.function;
    try {
      await setAccountFunctions(s, a.company.code, String(ctx.params.number), functions, actorOf(ctx, a));
    } catch (err) {
      return accountPage(ctx, a, failure(err));
    }
    await accountPage(ctx, { ...a, company: (await companies.get(a.company.code))! }, { notice: 'company.saved' });
  });

  // Operators: list and search.
  router.get('/account/company/:company/operators', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 40) : '';
    const codes = await companies.operatorCodes(a.company.code);
    const all = await Promise.all(codes.slice(0, 2000).map(async (code) => {
      const id = operatorId(a.company.code, code);
      const account = await s.accounts.findById(id);
      const [operator, dispositive] = await Promise.all([credentialStatus(s, id, 'operator'), credentialStatus(s, id, 'dispositive')]);
      return { code, name: [account?.givenName, account?.familyName].filter(Boolean).join(' '), disabled: !!account?.disabled, operator, dispositive };
    }));
    // Search by operator code or name.
    const needle = q.toLowerCase();
    const rows = all.filter((r) => !needle || r.code.toLowerCase().includes(needle) || r.name.toLowerCase().includes(needle)).slice(0, 500);
    showPage(ctx, s, a.session, 'views/company/operators', { company: a.company, base: a.base, q, rows });
  });

  // Operators: create.
  const newPage = async (ctx: Koa.Context, a: Admin, m = {}, values: Record<string, string> = {}) => {
    showPage(ctx, s, a.session, 'views/company/operator-new', { company: a.company, base: a.base, values, policy: s.config.passwords.operator }, m);
  };
  router.get('/account/company/:company/new-operator', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) await newPage(ctx, a);
  });
  router.post('/account/company/:company/new-operator', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, newOperatorForm, (m) => newPage(ctx, a, m));
    if (!f) return;
    const values = { operator_code: f.operator_code, given_name: f.given_name, family_name: f.family_name, email: f.email };
    let op: string;
    try {
      op = await createOperator(s, a.company.code, {
        operatorCode: f.operator_code, givenName: f.given_name, familyName: f.family_name, email: f.email,
        operatorPassword: f.operator_password, dispositivePassword: f.dispositive_password,
      }, actorOf(ctx, a));
    } catch (err) {
      const m = failure(err);
      return newPage(ctx, a, { ...m, status: m.error === 'company.operator_exists' ? 409 : 400 }, values);
    }
    ctx.status = 303;
    ctx.redirect(`${a.base}/operators/${op}?created=1`);
  });

  // Operators: detail, accounts and functions, enable / disable.
  /** The operator the address names (404 when this company has none by that code). */
  const operatorOf = async (ctx: Koa.Context, a: Admin) => {
    const op = String(ctx.params.operator ?? '').toUpperCase();
    const id = operatorId(a.company.code, op);
    const account = OPERATOR_CODE.test(op) ? await s.accounts.findById(id) : undefined;
    if (!account || account.type !== 'operator' || account.companyCode !== a.company.code) return ctx.throw(404, 'error.not_found');
    return { op, id, account };
  };
  const operatorPage = async (ctx: Koa.Context, a: Admin, m: Record<string, unknown> = {}) => {
    const { op, id, account } = await operatorOf(ctx, a);
    const [grants, operator, dispositive] = await Promise.all([companies.grants(id), credentialStatus(s, id, 'operator'), credentialStatus(s, id, 'dispositive')]);
    showPage(ctx, s, a.session, 'views/company/operator', {
      company: a.company, base: a.base, op, target: account, grants, operator, dispositive,
      isDefault: op === defaultOperatorCode(a.company.code), catalog: companies.functionCatalog(a.company),
    }, { notice: ctx.query.created ? 'company.operator_created' : undefined, ...m });
  };
  router.get('/account/company/:company/operators/:operator', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) await operatorPage(ctx, a);
  });
  router.post('/account/company/:company/operators/:operator', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, grantsForm, (m) => operatorPage(ctx, a, m));
    if (!f) return;
    if (f.select_all && !confirmed(ctx)) {
      const { op } = await operatorOf(ctx, a);
      return confirmPage(ctx, s, a.session, {
        title: 'confirm.all_grants.title', what: ['confirm.all_grants.what', 'confirm.all_grants.new_accounts'], submit: 'confirm.all_grants.submit',
        params: { operator: op, accounts: a.company.accounts.length, functions: companies.functionCatalog(a.company).length },
        action: `${a.base}/operators/${op}`, hidden: [['select_all', '1']], back: `${a.base}/operators/${op}`,
      });
    }
    const grants = f.select_all
      ? { accounts: a.company.accounts.map((x) => x.number), functions: companies.functionCatalog(a.company) }
      : { accounts: f.account, functions: f.function };
    try {
      await setOperatorGrants(s, a.company.code, String(ctx.params.operator), grants, actorOf(ctx, a));
    } catch (err) {
      if (err instanceof CompanyError && err.key === 'company.operator_unknown') ctx.throw(404, 'error.not_found');
      return operatorPage(ctx, a, failure(err));
    }
    await operatorPage(ctx, a, { notice: 'company.saved' });
  });
  router.post('/account/company/:company/operators/:operator/status', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, statusForm, (m) => operatorPage(ctx, a, m));
    if (!f) return;
    if (f.disabled === '1' && !confirmed(ctx)) {
      const { op } = await operatorOf(ctx, a);
      return confirmPage(ctx, s, a.session, {
        title: 'confirm.disable.title', what: ['confirm.disable.what', 'confirm.disable.kept', 'confirm.disable.undo'], submit: 'confirm.disable.submit',
        params: { operator: op }, action: `${a.base}/operators/${op}/status`, hidden: [['disabled', '1']], back: `${a.base}/operators/${op}`,
      });
    }
    try {
      await setOperatorDisabled(s, a.company.code, String(ctx.params.operator), f.disabled === '1', actorOf(ctx, a));
    } catch (err) {
      if (err instanceof CompanyError) ctx.throw(404, 'error.not_found');
      throw err;
    }
    await operatorPage(ctx, a, { notice: f.disabled === '1' ? 'company.operator_disabled' : 'company.operator_enabled' });
  });

  // Operators: a new operator or dispositive password (also unlocks it).
  const reissuePage = async (ctx: Koa.Context, a: Admin, m = {}) => {
    const kind = ctx.params.kind as OperatorPasswordKind;
    const op = String(ctx.params.operator ?? '').toUpperCase();
    const account = KINDS.includes(kind) && OPERATOR_CODE.test(op) ? await s.accounts.findById(operatorId(a.company.code, op)) : undefined;
    if (!account || account.type !== 'operator') ctx.throw(404, 'error.not_found');
    const status = await credentialStatus(s, account.id, kind);
    showPage(ctx, s, a.session, 'views/company/operator-password', { company: a.company, base: a.base, op, kind, status, policy: s.config.passwords[kind] }, m);
  };
  router.get('/account/company/:company/operators/:operator/password/:kind', async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (a) await reissuePage(ctx, a);
  });
  router.post('/account/company/:company/operators/:operator/password/:kind', ...form, async (ctx) => {
    const a = await requireCompanyAdmin(ctx, s);
    if (!a) return;
    const f = await parse(ctx, reissueForm, (m) => reissuePage(ctx, a, m));
    if (!f) return;
    if (f.new_password !== f.new_password_confirm) return reissuePage(ctx, a, { error: 'change_password.mismatch' });
    const kind = ctx.params.kind as OperatorPasswordKind;
    if (!KINDS.includes(kind)) ctx.throw(404, 'error.not_found');
    try {
      await reissueOperatorPassword(s, a.company.code, String(ctx.params.operator), kind, f.new_password, actorOf(ctx, a));
    } catch (err) {
      if (err instanceof CompanyError && err.key === 'company.operator_unknown') ctx.throw(404, 'error.not_found');
      return reissuePage(ctx, a, failure(err));
    }
    await reissuePage(ctx, a, { notice: 'company.password_reissued' });
  });
}

export const companyAdminPlugin: AccountPlugin = {
  async links(session) {
    const a = session.account;
    return a.type === 'administrator' && a.companyCode ? [{ href: `/account/company/${a.companyCode}`, label: 'company.link' }] : [];
  },
  routes: companyAdminRoutes,
};
