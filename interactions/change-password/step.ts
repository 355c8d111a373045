// Required action: set a new password when the current one was issued by someone else (first use)
// or has expired. The kind's policy applies; the new password must differ from the old one.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import type { PasswordKind } from '../../src/accounts/accounts.ts';
import { checkNewPassword } from '../../src/accounts/password-policy.ts';
import { field } from '../../src/http/form.ts';

const form = z.object({
  new_password: field(256).min(1, { error: 'change_password.required' }),
  new_password_confirm: field(256),
});

export const changePasswordStep = defineStep({
  id: 'change-password',
  kind: 'required-action',
  amr: [],
  requiresUser: true,
  form,
  async render(ctx) {
    const kind = ctx.args.kind as PasswordKind;
    const policy = ctx.services.config.passwords[kind];
    return {
      view: 'interactions/change-password/page',
      data: { reason: ctx.args.reason, kind, policy },
    };
  },
  async action(ctx, f) {
    const kind = ctx.args.kind as PasswordKind;
    const account = ctx.account;
    if (!account) return { type: 'failure', page: { ...(await this.render(ctx)), error: 'error.unexpected' } };
    const policy = ctx.services.config.passwords[kind];
    const reject = async (error: string, reason: string) => {
      await ctx.audit({ event: 'password.change', outcome: 'failure', reason, subject: account.id });
      const errorParams = { min: policy.minLength, max: policy.maxLength };
      const page = await this.render(ctx);
      const errorField = error === 'change_password.mismatch' ? 'new_password_confirm' : 'new_password';
      return { type: 'challenge' as const, page: { ...page, data: { ...page.data, errorField }, error, errorParams } };
    };
    const problem = checkNewPassword(f.new_password, f.new_password_confirm, policy);
    if (problem) return reject(problem, problem === 'change_password.mismatch' ? 'mismatch' : problem);
    const current = await ctx.services.passwords.get(account.id, kind);
    if (await ctx.services.passwords.matches(current?.hash, f.new_password)) return reject('change_password.same', 'same');
    await ctx.services.passwords.set(account.id, kind, f.new_password, { mustChange: false });
    await ctx.audit({ event: 'password.change', outcome: 'success', reason: kind, subject: account.id });
    return { type: 'success' };
  },
});
