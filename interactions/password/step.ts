// The password of the identified user (the kind follows the account: personal, operator,
// administrator). Unknown user, wrong password and locked credential look the same here and take the
// same time; the audit log records which it was.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { accountIdFor, accountTypeOf, displayName, loginNameOf, loginPasswordKind, type LoginName, type PasswordKind } from '../../src/accounts/accounts.ts';
import { field } from '../../src/http/form.ts';

/** The name the user gave, or, in a step-up, the one the session is for. */
function whoOf(flow: { loginName?: LoginName; identified?: { name: string } }): string {
  const name = flow.loginName ?? loginNameOf(flow.identified?.name ?? '');
  return name ? displayName(name) : '';
}

const form = z.object({ password: field(256).min(1, { error: 'password.required' }) });

export const passwordStep = defineStep({
  id: 'password',
  kind: 'login',
  amr: ['pwd'],
  requiresUser: true,
  fieldsView: 'interactions/password/fields',
  form,
  readAhead(ctx, name) {
    ctx.services.passwords.readAhead(ctx.flow, accountIdFor(name), loginPasswordKind(accountTypeOf(name)));
  },
  async render(ctx) {
    return { view: 'interactions/password/page', data: { who: whoOf(ctx.flow), citizen: ctx.flow.loginName?.type === 'citizen' } };
  },
  async action(ctx, { password }) {
    const kind: PasswordKind = ctx.account ? loginPasswordKind(ctx.account.type) : ctx.flow.loginName?.type === 'citizen' ? 'personal' : 'operator';
    const result = await ctx.services.passwords.verify(ctx.account?.id, kind, password, { ahead: ctx.flow });
    if (!result.ok) {
      await ctx.audit({ event: 'login.password', outcome: 'failure', reason: result.reason });
      if (result.reason === 'locked_now') await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: kind });
      const page = await this.render(ctx);
      return { type: 'failure', page: { ...page, error: 'password.rejected', errorParams: { max: ctx.services.config.passwords[kind].maxFailures } } };
    }
    await ctx.audit({ event: 'login.password', outcome: 'success', reason: result.changeRequired });
    const requiredActions = result.changeRequired
      ? [{ id: 'change-password', args: { kind, reason: result.changeRequired } }]
      : [];
    return result.expiresInDays !== undefined
      ? { type: 'success', requiredActions, notice: 'password.expires_soon', noticeParams: { days: result.expiresInDays } }
      : { type: 'success', requiredActions };
  },
});
