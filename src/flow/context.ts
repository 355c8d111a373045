// The context a step runs in: the flow state, the account, the request view, and the step's own
// typed state (read through the step's schema, so a stale or foreign value reads as none).
import type Provider from 'oidc-provider';
import type { Account } from '../accounts/accounts.ts';
import type { Services } from '../services.ts';
import type { FlowState, RequestView, Step, StepContext } from './step.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The parts of a step context that do not depend on the step. */
export type BaseContext = Omit<StepContext, 'state' | 'setState'>;

export interface ContextSources {
  services: Services;
  provider: Provider;
  details: Details;
  flow: FlowState;
  request: RequestView;
  client: Record<string, unknown>;
  account?: Account;
}

export function baseContext(src: ContextSources): BaseContext {
  const { details, flow, services } = src;
  const clientId = String((details.params as Record<string, unknown>).client_id);
  return {
    uid: details.uid, flow, services, provider: src.provider, details, clientId, client: src.client,
    request: src.request, account: src.account, args: {},
    audit: (e) => services.audit.record({
      subject: flow.identified?.accountId ?? flow.identified?.name,
      ...e,
      client: clientId,
      ip: src.request.ip,
      interaction: details.uid,
    }),
  };
}

/** The context for one step: its state read through its schema, written back into the flow. */
export function stepContext<Form, State>(base: BaseContext, step: Step<Form, State>, args: Record<string, string> = {}): StepContext<State> {
  const raw = base.flow.steps[step.id];
  const parsed = step.state && raw !== undefined ? step.state.safeParse(raw) : undefined;
  const ctx: StepContext<State> = {
    ...base,
    args,
    state: parsed?.success ? parsed.data : undefined,
    setState(value) {
      ctx.state = value;
      if (value === undefined) delete base.flow.steps[step.id];
      else base.flow.steps[step.id] = value;
    },
  };
  return ctx;
}
