// A method may require a higher level for some users than the request asks (e.g. a company whose
// administrator and operators must log in with a certificate). Once the user has said who they are,
// the highest such level above the flow's takes over the rest of the login.
import type { LoginName } from '../accounts/accounts.ts';
import type { Services } from '../services.ts';
import type { BaseContext } from './context.ts';

/** The highest level the installed steps require for this user, if any (only levels that can be delivered). */
export async function minimumLevel(s: Services, name: LoginName): Promise<string | undefined> {
  let best: string | undefined;
  for (const step of s.steps.ofKind('login')) {
    const acr = step.minimumAcr ? await step.minimumAcr(s, name) : undefined;
    if (acr && s.policy.available(acr) && s.policy.rank(acr) > s.policy.rank(best)) best = acr;
  }
  return best;
}

/** After the identifying step: the chain of a required higher level replaces what is left of the login. */
export async function raiseLevel(sctx: BaseContext): Promise<void> {
  const { flow, services: s } = sctx;
  if (flow.prompt !== 'login' || !flow.loginName) return;
  const acr = await minimumLevel(s, flow.loginName);
  if (!acr || s.policy.rank(acr) <= s.policy.rank(flow.acr)) return;
  const chain = s.policy.chain(acr);
  flow.index = chain.findIndex((entry) => s.steps.get(entry)?.identifies) + 1;
  flow.acr = acr;
  flow.chain = chain;
  flow.choices = {};
  await sctx.audit({ event: 'login.acr', outcome: 'info', reason: `raised to ${acr}: required for this user` });
}
