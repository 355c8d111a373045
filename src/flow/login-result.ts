// The end of a login: the account, the level reached and what was used (amr) go to oidc-provider.
import { FlowError } from '../errors.ts';
import type { BaseContext } from './context.ts';
import type { Outcome } from './outcome.ts';

export async function loginResult(sctx: BaseContext): Promise<Outcome> {
  const { flow } = sctx;
  const accountId = flow.identified?.accountId;
  const account = sctx.account?.id === accountId ? sctx.account : accountId ? await sctx.services.accounts.findById(accountId) : undefined;
  if (!account || account.disabled) throw new FlowError(500, 'error.unexpected');
  // Queued: the engine records it with the interaction result.
  await sctx.audit({ event: 'login', outcome: 'success', subject: account.id, reason: flow.acr });
  return { type: 'finish', result: { login: { accountId: account.sub, acr: flow.acr, amr: flow.amr, remember: false } } };
}
