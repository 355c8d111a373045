// Self-service password change on the account pages: the current password, the new one twice. The
// kinds a user may change follow the account: operators their operator and dispositive passwords,
// administrators theirs, citizens their personal one. The current password is checked like a login
// (it counts towards the lockout at 7); a locked password cannot be changed here: whoever unlocks
// that kind must act (an operator cannot unlock itself).
import { z } from 'zod';
import type Koa from 'koa';
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { requireSession, type AccountSession } from '../../src/self-service/session.ts';
import { postedForm, showPage, type PageMessages } from '../../src/self-service/page.ts';
import type { AccountType, PasswordKind } from '../../src/accounts/accounts.ts';
import { checkNewPassword } from '../../src/accounts/password-policy.ts';
import type { Credential } from '../../src/accounts/passwords.ts';
import { describeFormError, field } from '../../src/http/form.ts';
import { formPost } from '../../src/http/form-post.ts';
import type { Services } from '../../src/services.ts';
import { DAY_MS } from '../../src/clock.ts';

const KINDS: Record<AccountType, PasswordKind[]> = {
  citizen: ['personal'],
  operator: ['operator', 'dispositive'],
  administrator: ['administrator'],
};

const form = z.object({
  password: field(256).min(1, { error: 'self_password.current_required' }),
  new_password: field(256).min(1, { error: 'change_password.required' }),
  new_password_confirm: field(256),
});

async function page(ctx: Koa.Context, s: Services, session: AccountSession, kind: PasswordKind, m: PageMessages = {}, known?: Credential): Promise<void> {
  const policy = s.config.passwords[kind];
  const cred = known ?? (await s.passwords.get(session.account.id, kind));
  const now = s.clock.now();
  const daysLeft = cred && cred.expiresAt > 0 ? Math.max(0, Math.ceil((cred.expiresAt - now) / DAY_MS)) : undefined;
  showPage(ctx, s, session, 'interactions/change-password/self-service', {
    kind, policy, mustChange: !!cred?.mustChange, daysLeft, expiresAt: cred?.expiresAt, expiringSoon: daysLeft !== undefined && daysLeft <= s.config.expiryWarningDays,
  }, m);
}

export const changePasswordAccount: AccountPlugin = {
  async links(session, s) {
    const out = [];
    for (const kind of KINDS[session.account.type] ?? []) {
      const cred = await s.passwords.get(session.account.id, kind);
      if (!cred) continue;
      // Flag a password that must be changed or is about to expire (the dispositive one is not asked at login).
      const due = cred.mustChange || (cred.expiresAt > 0 && cred.expiresAt - s.clock.now() <= s.config.expiryWarningDays * DAY_MS);
      out.push({ href: `/account/password/${kind}`, label: `self_password.link${due ? '_due' : ''}.${kind}` });
    }
    return out;
  },
  routes(router, s) {
    // A kind this account does not have is no page at all.
    const kindOf = async (ctx: Koa.Context, session: AccountSession): Promise<{ kind: PasswordKind; cred: Credential }> => {
      const kind = ctx.params.kind as PasswordKind;
      const cred = (KINDS[session.account.type] ?? []).includes(kind) ? await s.passwords.get(session.account.id, kind) : undefined;
      if (!cred) return ctx.throw(404, 'error.not_found');
      return { kind, cred };
    };
    router.get('/account/password/:kind', async (ctx) => {
      const session = await requireSession(ctx, s);
      if (!session) return;
      const { kind, cred } = await kindOf(ctx, session);
      await page(ctx, s, session, kind, {}, cred);
    });
    router.post('/account/password/:kind', ...formPost(s), async (ctx) => {
      const session = await requireSession(ctx, s);
      if (!session) return;
      const { kind, cred } = await kindOf(ctx, session);
      const id = session.account.id;
      const policy = s.config.passwords[kind];
      const audit = (outcome: 'success' | 'failure', reason: string) =>
        s.audit.record({ event: 'password.change', outcome, reason: `${kind}: ${reason}`, actor: id, subject: id, ip: ctx.ip });
      const parsed = form.safeParse(postedForm(ctx));
      if (!parsed.success) {
        const { key, params } = describeFormError(parsed.error);
        return page(ctx, s, session, kind, { error: key, errorParams: params }, cred);
      }
      const f = parsed.data;
      const params = { min: policy.minLength, max: policy.maxLength };
      // The new password is judged first: a typo in it should not cost an attempt of the current one.
      const problem = checkNewPassword(f.new_password, f.new_password_confirm, policy);
      if (problem) {
        await audit('failure', problem === 'change_password.mismatch' ? 'mismatch' : problem);
        return page(ctx, s, session, kind, { error: problem, errorParams: { ...params, field: problem === 'change_password.mismatch' ? 'new_password_confirm' : 'new_password' } }, cred);
      }
      const result = await s.passwords.verify(id, kind, f.password);
      if (!result.ok) {
        await audit('failure', result.reason);
        if (result.reason === 'locked_now') await s.audit.record({ event: 'credential.locked', outcome: 'info', reason: kind, actor: id, subject: id, ip: ctx.ip });
        const locked = result.reason === 'locked' || result.reason === 'locked_now';
        return page(ctx, s, session, kind, {
          error: locked ? `self_password.locked.${kind}` : 'self_password.wrong',
          errorParams: { left: Math.max(0, policy.maxFailures - result.failures), field: 'password' },
          status: locked ? 403 : 401,
        });
      }
      if (await s.passwords.matches(result.credential.hash, f.new_password)) {
        await audit('failure', 'same');
        return page(ctx, s, session, kind, { error: 'change_password.same', errorParams: { field: 'new_password' } });
      }
      await s.passwords.set(id, kind, f.new_password, { mustChange: false });
      await audit('success', 'changed');
      await page(ctx, s, session, kind, { notice: 'self_password.changed' });
    });
  },
};
