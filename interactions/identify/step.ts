// Who is logging in: a citizen by fiscal code, or a company user by company code and operator code
// (no operator code: the company's administrator). Never tells whether the user exists.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { accountIdFor, type LoginName } from '../../src/accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../../src/accounts/fiscal-code.ts';

const optional = (max: number) => z.string({ error: 'form.invalid' }).max(max, { error: 'form.too_long' }).optional()
  .transform((v) => (v ?? '').replace(/\s+/g, ''));

const form = z.object({
  fiscal_code: optional(32),
  company_code: optional(32),
  operator_code: optional(64),
}).transform((f, zctx): LoginName => {
  if (f.fiscal_code && !f.company_code && !f.operator_code) {
    const fiscalCode = normaliseFiscalCode(f.fiscal_code);
    if (!isValidFiscalCode(fiscalCode)) {
      zctx.addIssue({ code: 'custom', path: ['fiscal_code'], message: 'identify.fiscal_code_invalid' });
      return z.NEVER;
    }
    return { type: 'citizen', fiscalCode };
  }
  if (f.company_code && !f.fiscal_code) {
    if (!/^\d{8}$/.test(f.company_code)) {
      zctx.addIssue({ code: 'custom', path: ['company_code'], message: 'identify.company_code_invalid' });
      return z.NEVER;
    }
    if (f.operator_code && !/^[A-Za-z0-9]{1,20}$/.test(f.operator_code)) {
      zctx.addIssue({ code: 'custom', path: ['operator_code'], message: 'identify.operator_code_invalid' });
      return z.NEVER;
    }
    return { type: 'company', companyCode: f.company_code, operatorCode: f.operator_code ? f.operator_code.toUpperCase() : undefined };
  }
  zctx.addIssue({ code: 'custom', path: ['fiscal_code'], message: 'identify.one_of' });
  return z.NEVER;
});

export const identifyStep = defineStep({
  id: 'identify',
  kind: 'login',
  amr: [],
  requiresUser: false,
  identifies: true,
  form,
  async render(ctx) {
    const hint = (ctx.details.params as Record<string, unknown>).login_hint;
    // The next step's fields on this same page (user and password together), also when the page
    // comes back after a format error.
    const nextFields = ctx.services.steps.embeddedNext(ctx.flow)?.fieldsView;
    return { view: 'interactions/identify/page', data: { login_hint: typeof hint === 'string' ? hint : '', nextFields } };
  },
  async action(ctx, name) {
    const id = accountIdFor(name);
    // The next step's fields came with this post (user and password on one page): what it reads
    // about this user goes out with the account's read.
    ctx.services.steps.embeddedNext(ctx.flow)?.readAhead?.(ctx, name);
    const account = await ctx.services.accounts.findById(id);
    const known = !!account && !account.disabled;
    ctx.flow.identified = { accountId: known ? id : undefined, name: id, known };
    ctx.account = known ? account : undefined; // handed on to the next step of this request
    ctx.flow.loginName = name;
    // Unknown users go on to the password page like everyone else; the audit log tells them apart
    // (a known user's outcome is recorded by the next step, with the same subject).
    if (!known) await ctx.audit({ event: 'login.identify', outcome: 'failure', reason: account ? 'disabled' : 'unknown', subject: id });
    return { type: 'success' };
  },
});
