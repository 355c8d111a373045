// What a method folder may add to the self-service and administration pages: its own routes and
// links on the account home page. A folder's account.ts default-exports one of these.
import type Router from '@koa/router';
import type { Services } from '../services.ts';
import type { AccountSession } from './session.ts';

export interface AccountLink {
  href: string;
  label: string;   // locale key
}

export interface AccountPlugin {
  links?(session: AccountSession, s: Services): Promise<AccountLink[]>;
  routes?(router: Router, s: Services): void;
}
