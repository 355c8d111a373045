// Passwordless sign-in with a passkey, beside the identify page: the browser offers the user's
// discoverable passkeys (conditional UI in the user-name field's autofill, or a button), the answer
// names the user, and the login ends at the level PASSKEY_PASSWORDLESS_ACR gives it (offered only to
// logins that ask no more than that). amr: the key's (hwk or swk), user, and mfa (a passkey with user
// verification is two factors: the device and the fingerprint, face or PIN that unlocks it).
import { defineStep, type StepContext } from '../../src/flow/step.ts';
import { jsonError, loginForm, loginState, scriptCall } from './login.ts';
import { amrOf, passkeysOf } from './passkeys.ts';
import { passkeySettings } from './settings.ts';

/** The level a passwordless sign-in reaches, when it is offered to this login. */
function offeredLevel(ctx: StepContext<unknown>): string | undefined {
  const { services: s, flow, client } = ctx;
  const acr = passkeySettings.of(s.config).passwordlessAcr;
  if (!acr || acr === 'off' || flow.prompt !== 'login' || !passkeysOf(s).usable()) return undefined;
  const accepted = client.accepted_methods as string[] | undefined;
  // Opt-in, like the second factor: only for services that list passkeys among their methods.
  if (!accepted?.includes('passkey')) return undefined;
  const rank = s.policy.rank(acr);
  return rank >= 0 && rank >= s.policy.rank(flow.acr) ? acr : undefined;
}

export const passwordlessStep = defineStep({
  id: 'passkey-login',
  kind: 'login',
  amr: ['hwk', 'user', 'mfa'],
  requiresUser: false,
  json: true,
  form: loginForm,
  state: loginState,
  async beside(ctx) {
    return offeredLevel(ctx) ? { view: 'interactions/passkey/beside', data: { passkeyStep: 'passkey-login', mode: 'passwordless' } } : undefined;
  },
  async render() {
    return { view: 'interactions/passkey/passwordless', data: { passkeyStep: 'passkey-login', mode: 'passwordless' } };
  },
  async action(ctx, f) {
    const level = offeredLevel(ctx);
    if (!level) return jsonError(ctx, 'passkey.unavailable', 400);
    if (f.op !== 'finish') {
      return scriptCall(ctx, f, 'passwordless', 'login.passwordless', async (r) => {
        const account = await ctx.services.accounts.findById(r.accountId);
        if (!account || account.disabled) {
          await ctx.audit({ event: 'login.passwordless', outcome: 'failure', reason: account ? 'disabled' : 'unknown', subject: r.accountId });
          return jsonError(ctx, 'passkey.unknown', 401);
        }
        return { accountId: r.accountId, credential: r.passkey.id, amr: [...amrOf(r), 'mfa'] };
      });
    }
    const verified = ctx.state;
    ctx.setState(undefined);
    const account = verified && (await ctx.services.accounts.findById(verified.accountId));
    if (!verified || !account || account.disabled) {
      return { type: 'challenge', page: { ...(await this.render(ctx)), error: 'passkey.not_verified' } };
    }
    ctx.flow.identified = { accountId: account.id, name: account.id, known: true };
    return { type: 'success', amr: verified.amr, acr: level };
  },
});
