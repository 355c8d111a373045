// Who is using the self-service and administration pages: the IdP's own SSO session (oidc-provider's
// Session, in Redis), so these pages need no login of their own. A page that needs a higher level
// sends the user through a normal authorization request (step-up) and back.
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/safe-equal.ts';
import type Koa from 'koa';
import type { Account } from '../accounts/accounts.ts';
import type { Services } from '../services.ts';

export const ACCOUNT_CLIENT_ID = 'account';

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
  /** Token for this session's forms (HMAC of the session id: nothing to store). */
  csrf: string;
}

export async function accountSession(ctx: Koa.Context, s: Services): Promise<AccountSession | undefined> {
  const session = await s.provider.Session.get(ctx as never);
  if (!session.accountId) return undefined;
  const account = await s.accounts.findBySub(session.accountId);
  if (!account || account.disabled) return undefined;
  const csrf = s.sealer.mac(String(session.jti), 'account-csrf');
  return { account, acr: session.acr, amr: session.amr ?? [], authTime: session.loginTs, csrf };
}

/**
 * The session when it is at `acr` or above; otherwise the response is a redirect to log in (or step
 * up) and back to this page, and the result is undefined.
 */
export async function requireAccount(ctx: Koa.Context, s: Services, acr = s.config.defaultAcr, known?: AccountSession): Promise<AccountSession | undefined> {
  const current = known ?? (await accountSession(ctx, s));
  if (current && s.policy.rank(current.acr) >= s.policy.rank(acr)) return current;
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
  return undefined;
}

// Back only to our own account and back-office pages (never an open redirect), and a bounded URL.
const RETURN_PATH = /^\/(account|backoffice)(\/|\?|$)/;
const RETURN_MAX = 512;

/** An OAuth state that carries the page to return to: nonce.path.MAC(nonce.path). */
export function returnState(s: Services, url: string): string {
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

/** Checks the form token of an account page; throws 403 when missing or wrong. */
export function checkAccountCsrf(ctx: Koa.Context, session: AccountSession): void {
  const sent = (ctx.request as unknown as { body?: Record<string, unknown> }).body?.csrf;
  if (typeof sent !== 'string' || !safeEqual(sent, session.csrf)) ctx.throw(403, 'error.csrf');
}

/** The session when its user has `role` (after requireAccount); otherwise a 403 and an audit event. */
export async function requireRole(ctx: Koa.Context, s: Services, role: string, acr?: string): Promise<AccountSession | undefined> {
  // Someone signed in without the role is refused at once: no point asking them to step up first.
  const current = await accountSession(ctx, s);
  const session = current && !current.account.roles?.includes(role) ? current : await requireAccount(ctx, s, acr, current);
  if (!session) return undefined;
  if (!session.account.roles?.includes(role)) {
    await s.audit.record({ event: 'access.denied', outcome: 'failure', reason: `needs role ${role}`, actor: session.account.id, subject: ctx.path, ip: ctx.ip });
    ctx.throw(403, 'error.forbidden');
  }
  return session;
}
