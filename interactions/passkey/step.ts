// Passkey as a second factor: the page script gets a challenge for the user's own passkeys, the
// browser answers, the step checks it (passkeys.ts) and the page then posts its form. amr says what
// happened: a device-bound key (hwk) or a synced one (swk), and user verification (user).
import { defineStep } from '../../src/flow/step.ts';
import { jsonError, loginForm, loginState, scriptCall } from './login.ts';
import { amrOf, passkeysOf } from './passkeys.ts';

export const passkeyStep = defineStep({
  id: 'passkey',
  kind: 'login',
  slot: 'second-factor',
  // Only where the service lists passkeys among the methods it accepts.
  optIn: true,
  amr: ['hwk'],
  requiresUser: true,
  json: true,
  form: loginForm,
  state: loginState,
  async configuredFor(ctx, account) {
    const passkeys = passkeysOf(ctx.services);
    return passkeys.usable() && (await passkeys.count(account.id)) > 0;
  },
  async render() {
    return { view: 'interactions/passkey/page', data: { passkeyStep: 'passkey', mode: 'second-factor' } };
  },
  async action(ctx, f) {
    if (f.op !== 'finish') {
      return scriptCall(ctx, f, 'second-factor', 'login.passkey', async (r) => ({ accountId: r.accountId, credential: r.passkey.id, amr: amrOf(r) }));
    }
    const verified = ctx.state;
    ctx.setState(undefined);
    if (!verified || verified.accountId !== ctx.account?.id) {
      if (ctx.request.headers['content-type']?.includes('json')) return jsonError(ctx, 'passkey.not_verified', 400);
      return { type: 'challenge', page: { ...(await this.render(ctx)), error: 'passkey.not_verified' } };
    }
    return { type: 'success', amr: verified.amr };
  },
});
