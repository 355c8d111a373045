// The relying party side of flow tests: openid-client 6, code flow with PKCE.
import * as oidc from 'openid-client';
import { Browser, type Page } from './browser.ts';
import { CALLBACK } from './data.ts';

export async function relyingParty(issuer: string, clientId = 'rp', secret: string | undefined = 'rp-secret-0123456789'): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, secret, secret ? oidc.ClientSecretPost(secret) : oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

export interface Started { url: string; verifier: string; state: string; nonce: string }

export async function authorizationUrl(rp: oidc.Configuration, params: Record<string, string> = {}): Promise<Started> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: CALLBACK, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, nonce, ...params,
  });
  return { url: url.href, verifier, state, nonce };
}

export async function exchange(rp: oidc.Configuration, started: Started, callback: string) {
  return oidc.authorizationCodeGrant(rp, new URL(callback), {
    pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce,
  });
}

export type Credentials = { fiscal_code: string; password: string } | { company_code: string; operator_code?: string; password: string };

/** Identify and password pages, as a user would fill them; returns the page after the password. */
export async function enterCredentials(browser: Browser, page: Page, who: Credentials): Promise<Page> {
  const { password, ...name } = who;
  let current = page;
  if (current.doc.querySelector('input[name=fiscal_code]')) current = await browser.submit(current, name as Record<string, string>);
  if (!current.doc.querySelector('input[name=password]')) return current;
  return browser.submit(current, { password });
}

/** A whole login at the given parameters; returns the tokens. */
export async function login(browser: Browser, rp: oidc.Configuration, who: Credentials, params: Record<string, string> = {}) {
  const started = await authorizationUrl(rp, params);
  const first = await browser.go(started.url);
  const after = first.left ? first : await enterCredentials(browser, first, who);
  if (!after.left) throw new Error(`login did not finish: ${after.status} ${after.title}: ${after.alert ?? ''}`);
  return exchange(rp, started, after.left);
}
