// What a method folder may add to the self-service and administration pages: its own routes and
// links on the account home page. A folder's account.ts default-exports one of these.
import type Router from '@koa/router';
import type { Services } from '../services.ts';
import type { AccountSession } from './session.ts';

export interface AccountLink {
  href: string;
  label: string;   // locale key
}

/** One method's part of the credentials page (/account/credentials). */
export interface CredentialSection {
  id: string;                  // element id, e.g. 'card'
  title: string;               // locale key
  /** label: locale key; value: shown as it is, translated when `translate` is set, a date (ISO or epoch ms) when `date` is. */
  facts: { label: string; value: string; translate?: boolean; date?: boolean; id?: string }[];
  actions: AccountLink[];
}

export interface AccountPlugin {
  links?(session: AccountSession, s: Services): Promise<AccountLink[]>;
  routes?(router: Router, s: Services): void;
  credentials?(session: AccountSession, s: Services): Promise<CredentialSection | undefined>;
  /** Sections of the back office (its home lists them; the pages themselves are for staff only). */
  backoffice?(session: AccountSession, s: Services): Promise<AccountLink[]>;
  /** "Delete mobile credentials" (back to smart card only): removes this method's; true if there was one. */
  removeMobileCredential?(accountId: string, s: Services): Promise<boolean>;
}
