// Who is using the self-service, company and back-office pages: the IdP's own SSO session
// (oidc-provider's Session, in Redis), so these pages need no login of their own. One guard,
// requireSession({ acr, role }), for all of them: a page that needs a higher level sends the user
// through a normal authorization request (step-up) and back; a post below it is refused.
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Account } from '../accounts/accounts.ts';
import type { Services } from '../services.ts';
import { safeEqual } from '../crypto/safe-equal.ts';

const ACCOUNT_CLIENT_ID = 'account';

export function accountClientMetadata(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Account',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${issuer}/account/cb`],
    post_logout_redirect_uris: [`${issuer}/account`],
    first_party: true,
  };
}

export interface AccountSession {
  account: Account;
  acr: string | undefined;
  amr: string[];
  authTime: number | undefined;
}

export async function accountSession(ctx: Koa.Context, s: Services): Promise<AccountSession | undefined> {
  const session = await s.provider.Session.get(ctx as never);
  if (!session.accountId) return undefined;
  const account = await s.accounts.findBySub(session.accountId);
  if (!account || account.disabled) return undefined;
  return { account, acr: session.acr, amr: session.amr ?? [], authTime: session.loginTs };
}

export interface SessionNeed {
  /** The level the page needs (default DEFAULT_ACR): one of the level table's. */
  acr?: string;
  /** A role the account must have (e.g. 'backoffice'). */
  role?: string;
}

/**
 * The session when it meets `need`. Otherwise, for a page (GET): a redirect to log in or step up and
 * back to it, and undefined; for a post: a 403 (nothing is done). A signed-in user without the role
 * gets a 403 and an audit event at once (no point asking them to step up first).
 */
export async function requireSession(ctx: Koa.Context, s: Services, need: SessionNeed = {}): Promise<AccountSession | undefined> {
  const acr = need.acr ?? s.config.defaultAcr;
  const current = await accountSession(ctx, s);
  if (current && need.role && !current.account.roles?.includes(need.role)) {
    await s.audit.record({ event: 'access.denied', outcome: 'failure', reason: `needs role ${need.role}`, actor: current.account.id, subject: ctx.path, ip: ctx.ip });
    return ctx.throw(403, 'error.forbidden');
  }
  if (current && s.policy.meets(current.acr, acr)) return current;
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return ctx.throw(403, current ? 'error.strong_login' : 'error.forbidden');
  loginAndBack(ctx, s, acr);
  return undefined;
}

/** Sends the browser through an authorization request at `acr`, and back to this page. */
function loginAndBack(ctx: Koa.Context, s: Services, acr: string): void {
  // Where to come back to travels in the state itself, under a MAC: nothing is stored for a visitor.
  const state = returnState(s, ctx.originalUrl);
  // A public client must send PKCE; the code itself is never redeemed: the session is what we use.
  const challenge = randomBytes(32).toString('base64url');
  const url = new URL(`${s.config.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${s.config.issuer}/account/cb`,
    state, acr_values: acr, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  ctx.redirect(url.href);
}

// Back only to our own self-service and back-office pages (never an open redirect), and a bounded URL.
const RETURN_PATH = /^\/(account|backoffice)(\/|\?|$)/;
const RETURN_MAX = 512;

/** An OAuth state that carries the page to return to: nonce.path.MAC(nonce.path). */
function returnState(s: Services, url: string): string {
  const back = RETURN_PATH.test(url) && url.length <= RETURN_MAX ? url : '/account';
  const body = `${randomBytes(12).toString('base64url')}.${Buffer.from(back).toString('base64url')}`;
  return `${body}.${s.sealer.mac(body, 'account-return')}`;
}

/** The page a state returns to, if its MAC holds. */
export function returnPath(s: Services, state: string): string | undefined {
  if (state.length > 2 * RETURN_MAX) return undefined;
  const [nonce, path, mac] = state.split('.');
  if (!nonce || !path || !mac || !safeEqual(mac, s.sealer.mac(`${nonce}.${path}`, 'account-return'))) return undefined;
  const back = Buffer.from(path, 'base64url').toString('utf8');
  return RETURN_PATH.test(back) ? back : undefined;
}
