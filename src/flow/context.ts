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
  client: Readonly<Record<string, unknown>>;
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
  return new OneStepContext<State>(base, step.id, args, parsed?.success ? parsed.data : undefined);
}

/**
 * A step's context: the request's (base) with the step's arguments and state. A class, with the
 * base's fields copied one by one: made several times per request, it stays a plain object (an
 * accessor defined on a spread copy made each one slow to build and to read).
 */
class OneStepContext<State> implements StepContext<State> {
  readonly #base: BaseContext;
  uid: string;
  flow: BaseContext['flow'];
  services: BaseContext['services'];
  provider: BaseContext['provider'];
  details: BaseContext['details'];
  clientId: string;
  client: Readonly<Record<string, unknown>>;
  request: BaseContext['request'];
  audit: BaseContext['audit'];
  args: Record<string, string>;
  state: State | undefined;
  setState: (value: State | undefined) => void;

  constructor(base: BaseContext, stepId: string, args: Record<string, string>, state: State | undefined) {
    this.#base = base;
    this.uid = base.uid;
    this.flow = base.flow;
    this.services = base.services;
    this.provider = base.provider;
    this.details = base.details;
    this.clientId = base.clientId;
    this.client = base.client;
    this.request = base.request;
    this.audit = base.audit;
    this.args = args;
    this.state = state;
    this.setState = (value) => {
      this.state = value;
      if (value === undefined) delete base.flow.steps[stepId];
      else base.flow.steps[stepId] = value;
    };
  }

  // The account a step reads (identify) is the request's: the next step and the login result of
  // this request take it from here instead of reading it again.
  get account(): BaseContext['account'] {
    return this.#base.account;
  }

  set account(value: BaseContext['account']) {
    this.#base.account = value;
  }
}
