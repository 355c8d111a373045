// The password of the identified user (the kind follows the account: personal, operator,
// administrator). Unknown user, wrong password and locked credential look the same here and take the
// same time; the audit log records which it was.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { accountIdFor, accountTypeOf, displayName, loginNameOf, loginPasswordKind, type AccountType, type LoginName, type PasswordKind } from '../../src/accounts/accounts.ts';
import { field } from '../../src/http/form.ts';

/** The name the user gave, or, in a step-up, the one the session is for. */
function whoOf(flow: { loginName?: LoginName; identified?: { name: string } }): string {
  const name = flow.loginName ?? loginNameOf(flow.identified?.name ?? '');
  return name ? displayName(name) : '';
}

/**
 * The password kind a login asks for: the account's, else the one its name stands for (an unknown
 * user's refusal then names the same failure limit as a known user's of that kind would).
 */
function kindOf(account: { type: AccountType } | undefined, name: LoginName | undefined): PasswordKind {
  return loginPasswordKind(account?.type ?? (name ? accountTypeOf(name) : 'operator'));
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
    ctx.services.passwords.readAhead(ctx.flow, accountIdFor(name), kindOf(undefined, name));
  },
  async render(ctx) {
    return { view: 'interactions/password/page', data: { who: whoOf(ctx.flow), citizen: ctx.flow.loginName?.type === 'citizen' } };
  },
  async action(ctx, { password }) {
    const kind = kindOf(ctx.account, ctx.flow.loginName ?? loginNameOf(ctx.flow.identified?.name ?? ''));
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
