// The login-step contract, modelled on Keycloak's Authenticator SPI. A step is a folder under
// interactions/ whose index.ts default-exports a Step. The policy engine decides which steps a login
// runs; a step only knows how to challenge the user and how to judge the answer.
import type { z } from 'zod';
import type Provider from 'oidc-provider';
import type { Account, LoginName } from '../accounts/accounts.ts';
import type { AuditEvent } from '../audit.ts';
import type { Services } from '../services.ts';

/** A page to show: a template path from the project root, its data, and an optional message. */
export interface Page {
  view: string;
  data?: Record<string, unknown>;
  error?: string;              // locale key, shown in role="alert"
  errorParams?: Record<string, string | number>;
  notice?: string;             // locale key, an informational message
  noticeParams?: Record<string, string | number>;
  status?: number;
}

export interface RequiredActionRequest {
  id: string;                  // a step with kind 'required-action'
  args?: Record<string, string>;
}

export type StepResult =
  /** The step is passed. */
  | { type: 'success'; requiredActions?: RequiredActionRequest[]; notice?: string; noticeParams?: Record<string, string | number>; grantId?: string }
  /** Show the page again (bad input: 400 by default). */
  | { type: 'challenge'; page: Page }
  /** The answer was wrong (401 by default): the page again, with the failure message. */
  | { type: 'failure'; page: Page };

/** What the engine keeps for one interaction (in Redis, as JSON). */
export interface FlowState {
  prompt: string;
  acr: string;
  chain: string[];
  index: number;
  csrf: string;
  locale: string;
  /** Set once the user is identified; `known` false means nobody has that name (kept from the page). */
  identified?: { accountId?: string; name: string; known: boolean };
  loginName?: LoginName;
  amr: string[];
  pending: RequiredActionRequest[];
  notice?: { key: string; params?: Record<string, string | number> };
  data: Record<string, unknown>;
}

export interface StepContext {
  uid: string;
  flow: FlowState;
  services: Services;
  provider: Provider;
  details: Awaited<ReturnType<Provider['interactionDetails']>>;
  clientId: string;
  client: Record<string, unknown>;      // the client's metadata
  ip: string;
  /** The identified account, when it exists. */
  account?: Account;
  /** Arguments of the required action being run. */
  args: Record<string, string>;
  audit(e: Omit<AuditEvent, 'client' | 'ip' | 'interaction'>): Promise<void>;
}

export interface Step<Form = Record<string, unknown>> {
  id: string;
  kind: 'login' | 'required-action' | 'consent';
  /** RFC 8176 values this step adds to the ID token's amr. */
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
  /** A level entry "<slot>" may be filled by any step of that slot, e.g. "second-factor". */
  slot?: string;
  /** Whether the user has this method set up; undefined means always. */
  configuredFor?(ctx: StepContext, account: Account): Promise<boolean>;
  /**
   * Required actions only: whether this user must go through it at this login, and with which
   * arguments (Keycloak's evaluateTriggers). Asked once per login, after the first step that
   * proves something; what it returns runs before the other required actions.
   */
  trigger?(ctx: StepContext, account: Account): Promise<Record<string, string> | undefined>;
  /** Schema of the posted form (run before action; failures are a 400 with the field named). */
  form: z.ZodType<Form>;
  /** First visit: the challenge page. */
  render(ctx: StepContext): Promise<Page>;
  /** The posted answer. */
  action(ctx: StepContext, form: Form): Promise<StepResult>;
}

export function defineStep<Form>(step: Step<Form>): Step<Form> {
  return step;
}
