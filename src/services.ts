// What the steps and routes share: one object built at start, passed down (no globals).
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './clock.ts';
import type { ScriptedRedis } from './store/scripts.ts';
import type { Accounts } from './accounts/accounts.ts';
import type { Passwords } from './accounts/passwords.ts';
import type { Audit } from './audit.ts';
import type { Policy } from './flow/policy.ts';
import type { StepRegistry } from './flow/registry.ts';
import type { Views } from './http/views.ts';
import type { Sealer } from './crypto/sealed.ts';
import type Provider from 'oidc-provider';
import type { Delivery } from './delivery/delivery.ts';
import type { OneTimeCodes } from './otp/one-time-codes.ts';
import type { SecureChannels } from './secure-channel/secure-channels.ts';
import type { Requests } from './requests/requests.ts';
import type { AbuseLimits } from './http/rate-limit.ts';

export interface Services {
  config: Config;
  log: Logger;
  clock: Clock;
  redis: ScriptedRedis;
  accounts: Accounts;
  passwords: Passwords;
  audit: Audit;
  policy: Policy;
  steps: StepRegistry;
  views: Views;
  /** Encrypts secrets at rest under DATA_KEY. */
  sealer: Sealer;
  /** Set once the provider is built (steps and account pages reach oidc-provider through it). */
  provider: Provider;
  /** Email (SMTP), SMS (HTTP gateway) and the development outbox. */
  delivery: Delivery;
  /** Emailed or texted one-time codes. */
  otp: OneTimeCodes;
  /** Members' registered secure channels. */
  secureChannels: SecureChannels;
  /** Contact changes and channel resets waiting for the back office, with their documents. */
  requests: Requests;
  /** Abuse limits on the routes that check a secret. */
  limits: AbuseLimits;
}
