// The branch's pages for companies (/backoffice/companies/...), for back-office staff only (role
// 'backoffice', at ADMINISTRATION_ACR): list and search, create, show, issue a new administrator
// password, set the activation password and its expiry, unlock the activation password. A new
// password is shown once, on the page that answers the action, and never stored in clear.
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import type { AccountPlugin } from '../self-service/plugin.ts';
import type { AccountSession } from '../self-service/session.ts';
import { requireStaff } from './area.ts';
import { postedForm, showPage, type PageMessages } from '../self-service/page.ts';
import { confirmed, confirmPage } from '../self-service/confirm.ts';
import { describeFormError, field } from '../http/form.ts';
import { formPost } from '../http/form-post.ts';
import { adminId, Companies, CompanyError, operatorId } from '../companies/companies.ts';
import { credentialStatus } from '../companies/credential-status.ts';
import { ACTIVATION_DAYS, addAccount, createCompany, reissueAdminPassword, setActivationPassword, unlockCompanyCredential } from '../companies/branch-actions.ts';

const days = field(4).regex(/^\d{1,3}$/, { error: 'company.activation_days' }).transform(Number);
const createForm = z.object({
  company_code: field(16).transform((v) => v.trim()),
  name: field(200),
  activation_password: field(256).min(1, { error: 'company.password_required' }),
  activation_days: days,
  accounts: field(2000).default(''),
});
const activationForm = z.object({ activation_password: field(256).min(1, { error: 'company.password_required' }), activation_days: days });
const accountForm = z.object({ number: field(16).transform((v) => v.trim()) });
const emptyForm = z.object({});

function backofficeCompanyRoutes(router: Router, s: Services): void {
  const form = formPost(s);
  const companies = new Companies(s);
  const staff = (ctx: Koa.Context) => requireStaff(ctx, s);
  const actor = (ctx: Koa.Context, session: AccountSession) => ({ id: session.account.id, ip: ctx.ip });

  function parse<T>(ctx: Koa.Context, schema: z.ZodType<T>): { data: T } | { m: PageMessages } {
    const parsed = schema.safeParse(postedForm(ctx));
    if (parsed.success) return { data: parsed.data };
    const { key, params } = describeFormError(parsed.error);
    return { m: { error: key, errorParams: params } };
  }
  const failure = (err: unknown): PageMessages => {
    if (err instanceof CompanyError) return { error: err.key, errorParams: { ...err.params, ...(err.field ? { field: err.field } : {}) }, status: err.key === 'company.exists' ? 409 : err.key === 'company.unknown' ? 404 : 400 };
    throw err;
  };

  const listPage = async (ctx: Koa.Context, session: AccountSession, m: PageMessages = {}, values: Record<string, string> = {}) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 60) : '';
    const list = (await companies.list(q)).slice(0, 500);
    showPage(ctx, s, session, 'views/backoffice/companies', { list, q, values, activationDays: ACTIVATION_DAYS, defaultDays: s.config.passwords.activation.expiryDays }, m);
  };
  router.get('/backoffice/companies', async (ctx) => {
    const session = await staff(ctx);
    if (session) await listPage(ctx, session);
  });
  router.post('/backoffice/companies', ...form, async (ctx) => {
    const session = await staff(ctx);
    if (!session) return;
    const p = parse(ctx, createForm);
    if ('m' in p) return listPage(ctx, session, p.m);
    const f = p.data;
    const values = { company_code: f.company_code, name: f.name, accounts: f.accounts, activation_days: String(f.activation_days) };
    try {
      const { company, adminPassword } = await createCompany(s, {
        code: f.company_code, name: f.name, activationPassword: f.activation_password, activationDays: f.activation_days,
        accounts: f.accounts.split(/[\s,;]+/).filter(Boolean),
      }, actor(ctx, session));
      showPage(ctx, s, session, 'views/backoffice/issued', { company, password: adminPassword, what: 'backoffice.issued.created' }, { status: 201 });
    } catch (err) {
      await listPage(ctx, session, failure(err), values);
    }
  });

  const showCompany = async (ctx: Koa.Context, session: AccountSession, m: PageMessages = {}) => {
    const code = String(ctx.params.code);
    const company = await companies.get(code);
    if (!company) ctx.throw(404, 'error.not_found');
    const admin = adminId(code);
    const [administrator, activation] = await Promise.all([credentialStatus(s, admin, 'administrator'), credentialStatus(s, admin, 'activation')]);
    const operators = await Promise.all((await companies.operatorCodes(code)).slice(0, 500).map(async (op) => {
      const id = operatorId(code, op);
      const account = await s.accounts.findById(id);
      return { code: op, disabled: !!account?.disabled, operator: await credentialStatus(s, id, 'operator'), dispositive: await credentialStatus(s, id, 'dispositive') };
    }));
    showPage(ctx, s, session, 'views/backoffice/company', {
      company, administrator, activation, operators, activationDays: ACTIVATION_DAYS, defaultDays: s.config.passwords.activation.expiryDays,
    }, m);
  };
  router.get('/backoffice/companies/:code', async (ctx) => {
    const session = await staff(ctx);
    if (session) await showCompany(ctx, session);
  });
  router.post('/backoffice/companies/:code/admin-password', ...form, async (ctx) => {
    const session = await staff(ctx);
    if (!session) return;
    const p = parse(ctx, emptyForm);
    if ('m' in p) return showCompany(ctx, session, p.m);
    if (!confirmed(ctx)) {
      const company = await companies.get(String(ctx.params.code));
      if (!company) return ctx.throw(404, 'error.not_found');
      return confirmPage(ctx, s, session, {
        title: 'confirm.admin_password.title', what: ['confirm.admin_password.what', 'confirm.admin_password.old', 'confirm.admin_password.once'],
        submit: 'confirm.admin_password.submit', params: { code: company.code, name: company.name },
        action: `/backoffice/companies/${company.code}/admin-password`, back: `/backoffice/companies/${company.code}`,
      });
    }
    try {
      const password = await reissueAdminPassword(s, String(ctx.params.code), actor(ctx, session));
      showPage(ctx, s, session, 'views/backoffice/issued', { company: await companies.get(String(ctx.params.code)), password, what: 'backoffice.issued.admin' });
    } catch (err) {
      const m = failure(err);
      if (m.status === 404) ctx.throw(404, 'error.not_found');
      await showCompany(ctx, session, m);
    }
  });
  // The branch's plain actions on a company: parse the form, act, show the company with a notice.
  function companyAction<T>(path: string, schema: z.ZodType<T>, act: (code: string, data: T, who: { id: string; ip: string }) => Promise<unknown>, notice: string): void {
    router.post(`/backoffice/companies/:code/${path}`, ...form, async (ctx) => {
      const session = await staff(ctx);
      if (!session) return;
      const p = parse(ctx, schema);
      if ('m' in p) return showCompany(ctx, session, p.m);
      try {
        await act(String(ctx.params.code), p.data, actor(ctx, session));
      } catch (err) {
        const m = failure(err);
        if (m.status === 404) ctx.throw(404, 'error.not_found');
        return showCompany(ctx, session, m);
      }
      await showCompany(ctx, session, { notice });
    });
  }
  companyAction('activation-password', activationForm, (code, f, who) => setActivationPassword(s, code, f.activation_password, f.activation_days, who), 'backoffice.activation_set');
  companyAction('unlock', emptyForm, (code, _f, who) => unlockCompanyCredential(s, code, 'activation', who), 'backoffice.unlocked');
  companyAction('accounts', accountForm, (code, f, who) => addAccount(s, code, f.number, who), 'backoffice.account_added');
}

export const backofficeCompaniesPlugin: AccountPlugin = {
  async backoffice() {
    return [{ href: '/backoffice/companies', label: 'backoffice.link.companies' }];
  },
  routes: backofficeCompanyRoutes,
};
