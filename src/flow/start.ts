// A new flow for an interaction: for the login prompt, the level this request gets (policy) and its
// chain of steps; for any other prompt (consent, a confirmation), the step that answers it. A level
// that cannot be met goes back to the client as an error, with nothing to show.
import type Provider from 'oidc-provider';
import { FlowError } from '../errors.ts';
import type { Services } from '../services.ts';
import { essentialAcrs } from './acr-request.ts';
import { loginNameOf } from '../accounts/accounts.ts';
import type { Details } from './context.ts';
import { minimumLevel } from './minimum-level.ts';
import type { Outcome } from './outcome.ts';
import type { FlowState } from './step.ts';

// Prompt reasons after which the same user only has to prove more, not say again who they are.
const STEP_UP_REASONS = new Set(['acr_step_up', 'essential_acr', 'essential_acrs']);

/** `client`: the interaction's client, when the caller has looked it up already. */
export async function startFlow(
  s: Services, provider: Provider, details: Details, locale: string, ip: string,
  client?: Awaited<ReturnType<Provider['Client']['find']>>,
): Promise<FlowState | Extract<Outcome, { type: 'finish' }>> {
  const params = details.params as Record<string, unknown>;
  const base = {
    prompt: details.prompt.name, index: 0, locale,
    amr: [], pending: [], choices: {}, triggered: false, steps: {},
  };
  if (details.prompt.name !== 'login') {
    const step = s.steps.forPrompt(details.prompt.name);
    if (!step) throw new FlowError(400, 'error.unsupported_prompt');
    return { ...base, acr: '', chain: [step.id] };
  }
  client ??= await provider.Client.find(String(params.client_id));
  const target = s.policy.target({
    acrValues: params.acr_values as string | undefined,
    essential: essentialAcrs(params.claims),
    clientDefaults: client?.defaultAcrValues,
  });
  if ('error' in target) {
    await s.audit.record({ event: 'login.acr', outcome: 'failure', reason: target.error, client: String(params.client_id), ip, interaction: details.uid });
    return { type: 'finish', result: { error: target.error, error_description: target.description } };
  }
  const flow: FlowState = { ...base, acr: target.acr, chain: s.policy.chain(target.acr) };
  const sessionSub = details.session?.accountId;
  if (sessionSub && details.prompt.reasons.length && details.prompt.reasons.every((r) => STEP_UP_REASONS.has(r))) {
    const account = await s.accounts.findBySub(sessionSub);
    if (account) {
      flow.identified = { accountId: account.id, name: account.id, known: true };
      flow.loginName = loginNameOf(account.id);
      // A level this user is required to log in at (see minimum-level.ts) holds for a step-up too.
      const required = flow.loginName && await minimumLevel(s, flow.loginName);
      if (required && s.policy.rank(required) > s.policy.rank(flow.acr)) {
        const essential = essentialAcrs(params.claims);
        if (essential && !essential.includes(required)) {
          await s.audit.record({ event: 'login.acr', outcome: 'failure', reason: `${required} required for this user`, subject: account.id, client: String(params.client_id), ip, interaction: details.uid });
          return { type: 'finish', result: { error: 'unmet_authentication_requirements', error_description: `this user must log in at ${required}` } };
        }
        flow.acr = required;
        flow.chain = s.policy.chain(required);
      }
      skipDone(s, flow, details.session?.acr, details.session?.amr ?? []);
    }
  }
  return flow;
}

/**
 * A step-up asks only for what is missing: the leading steps of the chain that the session's login
 * already passed are passed again without a page, and their amr kept. A step counts as passed when
 * the session's level has it in its own chain and the session has its amr (so an amr an upstream
 * provider reported is not taken for our step). A step that answers through an upstream's callback
 * always runs again: the upstream is asked for the new level. A slot, or any other step, ends it.
 */
function skipDone(s: Services, flow: FlowState, sessionAcr: string | undefined, done: readonly string[]): void {
  const passed = sessionAcr ? s.policy.chain(sessionAcr) : [];
  while (flow.index < flow.chain.length) {
    const step = s.steps.get(flow.chain[flow.index]!);
    if (!step || step.kind !== 'login') return;
    const again = !step.callback && passed.includes(step.id) && step.amr.length > 0 && step.amr.every((v) => done.includes(v));
    if (!step.identifies && !again) return;
    for (const v of step.amr) if (!flow.amr.includes(v)) flow.amr.push(v);
    flow.index += 1;
  }
}
