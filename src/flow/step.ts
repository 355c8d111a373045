// The login-step contract, modelled on Keycloak's Authenticator SPI. A step belongs to a method
// module (interactions/<method>/, see src/methods/method.ts). The policy engine decides which steps a
// login runs; a step only knows how to challenge the user and how to judge the answer.
import type { X509Certificate } from 'node:crypto';
import type { z } from 'zod';
import type Provider from 'oidc-provider';
import type { Account, LoginName } from '../accounts/accounts.ts';
import type { AuditEvent } from '../audit.ts';
import type { Services } from '../services.ts';

type Params = Record<string, string | number>;

/** A page to show: a template path from the project root, its data, and an optional message. */
export interface Page {
  view: string;
  data?: Record<string, unknown>;
  error?: string;              // locale key, shown in role="alert"
  errorParams?: Params;
  notice?: string;             // locale key, an informational message
  noticeParams?: Params;
  status?: number;
}

export interface RequiredActionRequest {
  id: string;                  // a step with kind 'required-action'
  args?: Record<string, string>;
}

export type StepResult =
  /**
   * The step is passed. `amr`: what actually happened (RFC 8176), when it differs from the step's
   * declared `amr` (e.g. a code that went by SMS). `outcome`: for a prompt step, what the interaction
   * result records under the prompt's name (consent: `{ grantId }`). `acr`: the level this step
   * reached on its own (a passwordless sign-in): when it meets the login's level the chain ends
   * here, and the login gets that level (unless the client asked an essential one).
   */
  | { type: 'success'; amr?: string[]; requiredActions?: RequiredActionRequest[]; notice?: string; noticeParams?: Params; outcome?: Record<string, unknown>; acr?: string }
  /** Show the page again (bad input: 400 by default). */
  | { type: 'challenge'; page: Page }
  /** The answer was wrong (401 by default): the page again, with the failure message. */
  | { type: 'failure'; page: Page }
  /**
   * Send the browser elsewhere (an upstream provider) and come back through the step's `callback`.
   * `bind`: a value the upstream sends back as `state`, so that /callback/<step> finds this
   * interaction again.
   */
  | { type: 'redirect'; url: string; bind?: string }
  /** A JSON answer, for a step whose page script talks to it (e.g. WebAuthn). */
  | { type: 'json'; body: unknown; status?: number };

/** What the engine keeps for one interaction (in Redis, as JSON). */
/** A level-table entry that names a slot ("<second-factor>"), filled by any step of that slot. */
export const SLOT = /^<(.+)>$/;

export interface FlowState {
  prompt: string;
  acr: string;
  chain: string[];
  index: number;
  locale: string;
  /** Set once the user is identified; `known` false means nobody has that name (kept from the page). */
  identified?: { accountId?: string; name: string; known: boolean };
  loginName?: LoginName;
  amr: string[];
  pending: RequiredActionRequest[];
  notice?: { key: string; params?: Params };
  /** The step chosen for a slot, by chain position. */
  choices: Record<string, string>;
  /** The slot no step of this user could fill, once the "no way to reach this level" page was shown. */
  unmet?: string;
  /** Whether the required actions were asked already (once per login). */
  triggered: boolean;
  /** Each step's own state, by step id (read through the step's `state` schema). */
  steps: Record<string, unknown>;
  /** When this login last had a request (clock ms), kept only with an idle limit (INTERACTION_IDLE_TTL). */
  seenAt?: number;
}

/** The request as a step may see it: read-only, no Koa. */
export interface RequestView {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The client's address (from X-Forwarded-For only when TRUST_PROXY says so). */
  readonly ip: string;
  /** The TCP peer's address (the proxy itself when there is one). */
  readonly peerIp: string;
  /** True when the TCP peer is a proxy this deployment trusts. */
  readonly fromTrustedProxy: boolean;
  /** The client certificate of a TLS connection that presented one. */
  readonly peerCertificate?: X509Certificate;
}

export interface StepContext<State = unknown> {
  uid: string;
  flow: FlowState;
  services: Services;
  provider: Provider;
  details: Awaited<ReturnType<Provider['interactionDetails']>>;
  clientId: string;
  client: Readonly<Record<string, unknown>>; // the client's metadata (one object per client: read only)
  request: RequestView;
  /** The identified account, when it exists. */
  account?: Account;
  /** Arguments of the required action being run. */
  args: Record<string, string>;
  /** This step's own state in this interaction (checked against the step's `state` schema). */
  state: State | undefined;
  setState(value: State | undefined): void;
  audit(e: Omit<AuditEvent, 'client' | 'ip' | 'interaction'>): Promise<void>;
}

export interface Step<Form = Record<string, unknown>, State = unknown> {
  id: string;
  /** 'prompt': answers an oidc-provider prompt other than login (consent, a confirmation). */
  kind: 'login' | 'required-action' | 'prompt';
  /** For kind 'prompt': the prompt's name. */
  prompt?: string;
  /** RFC 8176 values this step adds to the ID token's amr (unless its success says otherwise). */
  amr: string[];
  /** True when the step needs the user identified (known or not) before it can run. */
  requiresUser: boolean;
  /** True when this step establishes who the user is (skipped when the session already knows). */
  identifies?: boolean;
  /**
   * A partial template with this step's inputs. A page that identifies the user, right before this
   * step, embeds it, so that both are answered in one post (user and password on one page).
   */
  fieldsView?: string;
  /**
   * With fieldsView: starts reading what action() will read about the user the identifying step of
   * the same post has just named, so that it goes to the store together with that step's own read
   * (one round trip for both). Called by the identifying step, not awaited; action() takes the read.
   */
  readAhead?(ctx: StepContext<State>, name: LoginName): void;
  /**
   * Sign-in beside the identifying step (e.g. passwordless): the partial template this step adds to
   * the identifying step's page, with its data, or undefined when it is not offered to this login.
   * A post on that page (form or JSON) whose `step` field names this step is answered by this step;
   * its success identifies the user (ctx.flow.identified) and, with `acr`, may end the login.
   */
  beside?(ctx: StepContext<State>): Promise<{ view: string; data?: Record<string, unknown> } | undefined>;
  /** A level entry "<slot>" may be filled by any step of that slot, e.g. "second-factor". */
  slot?: string;
  /**
   * Offered only to clients whose `accepted_methods` names this step (others get the slot's other
   * steps); without it, a client with no `accepted_methods` gets every step of the slot.
   */
  optIn?: boolean;
  /** True when the step's page script posts JSON to it (other steps refuse a JSON body: 415). */
  json?: boolean;
  /** False when the step is installed but switched off by its settings (its levels are then not offered). */
  enabled?(config: Services['config']): boolean;
  /**
   * The lowest level a user with this login name may reach the end of a login at, when this step's
   * method requires one (e.g. a company that requires certificates). Asked once the user has said
   * who they are; a higher level than the one requested takes over the rest of the login.
   */
  minimumAcr?(s: Services, name: LoginName): Promise<string | undefined>;
  /** Schema of this step's state (kept across requests of one interaction). */
  state?: z.ZodType<State>;
  /** Whether the user has this method set up; undefined means always. */
  configuredFor?(ctx: StepContext<State>, account: Account): Promise<boolean>;
  /**
   * Required actions only: whether this user must go through it at this login, and with which
   * arguments (Keycloak's evaluateTriggers). Asked once per login, after the first step that
   * proves something; what it returns runs before the other required actions.
   */
  trigger?(ctx: StepContext<State>, account: Account): Promise<Record<string, string> | undefined>;
  /** Schema of the posted form (run before action; failures are a 400 with the field named). */
  form: z.ZodType<Form>;
  /** First visit: the challenge page. */
  render(ctx: StepContext<State>): Promise<Page>;
  /** The posted answer. */
  action(ctx: StepContext<State>, form: Form): Promise<StepResult>;
  /** The way back from a `redirect` (GET /interaction/<uid>/callback/<step>), with its query. */
  callback?(ctx: StepContext<State>, query: Record<string, string>): Promise<StepResult>;
}

export function defineStep<Form, State = unknown>(step: Step<Form, State> & ThisType<Step<NoInfer<Form>, NoInfer<State>>>): Step<Form, State> {
  return step;
}
