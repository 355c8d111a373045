// The context a step runs in: the flow state, the account, the request view, and the step's own
// typed state (read through the step's schema, so a stale or foreign value reads as none).
import type Provider from 'oidc-provider';
import type { Account } from '../accounts/accounts.ts';
import type { AuditEvent } from '../audit.ts';
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
  /** Given: the events of this request wait here, for the engine to record them in one write. */
  auditQueue?: AuditEvent[];
}

export function baseContext(src: ContextSources): BaseContext {
  const { details, flow, services } = src;
  const clientId = String((details.params as Record<string, unknown>).client_id);
  return {
    uid: details.uid, flow, services, provider: src.provider, details, clientId, client: src.client,
    request: src.request, account: src.account, args: {},
    audit: (e) => {
      const event: AuditEvent = {
        subject: flow.identified?.accountId ?? flow.identified?.name,
        ...e,
        client: clientId,
        ip: src.request.ip,
        interaction: details.uid,
      };
      if (!src.auditQueue) return services.audit.record(event);
      src.auditQueue.push(event);
      return Promise.resolve();
    },
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
  // The account a step reads (identify) is the request's: the next step and the login result of
  // this request take it from here instead of reading it again.
  Object.defineProperty(ctx, 'account', {
    get: () => base.account,
    set: (value: StepContext['account']) => { base.account = value; },
    enumerable: true,
  });
  return ctx;
}
