// The broker's OIDC exchange with one SPID provider (openid-client 6), following the SPID/CIE OIDC
// profile: code flow with PKCE S256, a signed request object, private_key_jwt, nonce and state of 43
// characters, prompt "consent login", the SPID level in acr_values and the attributes in `claims`.
import * as client from 'openid-client';
import type { Services } from '../../src/services.ts';
import { brokerKeys } from './keys.ts';
import type { SpidLevel } from './levels.ts';
import { spidSettings } from './settings.ts';
import { CALLBACK_PATH, type TrustedOp } from './trust.ts';

export const FISCAL_NUMBER = 'https://attributes.eid.gov.it/fiscal_number';
export const SPID_CODE = 'https://attributes.eid.gov.it/spid_code';
const ASKED = { given_name: null, family_name: null, email: null, phone_number: null, [FISCAL_NUMBER]: { essential: true }, [SPID_CODE]: null };

function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname));
  } catch {
    return false;
  }
}

export interface Pending { idp: string; state: string; nonce: string; verifier: string; level: SpidLevel }

async function configuration(s: Services, op: TrustedOp): Promise<client.Configuration> {
  const m = op.metadata;
  const keys = await brokerKeys(s);
  const settings = spidSettings.of(s.config);
  const config = new client.Configuration(
    {
      issuer: String(m.issuer),
      authorization_endpoint: String(m.authorization_endpoint),
      token_endpoint: String(m.token_endpoint),
      userinfo_endpoint: String(m.userinfo_endpoint),
      jwks_uri: String(m.jwks_uri),
      authorization_response_iss_parameter_supported: m.authorization_response_iss_parameter_supported === true,
    },
    s.config.issuer,
    { id_token_signed_response_alg: 'RS256', ...(settings.plainUserinfo ? {} : { userinfo_signed_response_alg: 'RS256' }) },
    client.PrivateKeyJwt({ key: keys.core.key, kid: keys.core.kid }),
  );
  // Plain http only to a provider on this machine (the stand-in); anywhere else openid-client refuses it.
  if (isLoopbackHttp(String(m.issuer))) client.allowInsecureRequests(config);
  // Check the ID token's signature against the provider's keys (not only TLS).
  client.enableNonRepudiationChecks(config);
  // Userinfo signed then encrypted to our key, as the profile has it (signed only is read too).
  client.enableDecryptingResponses(config, ['A256GCM', 'A128CBC-HS256'], { key: keys.encryption.key, kid: keys.encryption.kid, alg: 'RSA-OAEP-256' });
  config.timeout = Math.ceil(settings.timeoutMs / 1000);
  return config;
}

/** Where the browser goes: the provider's authorization endpoint with our signed request object. */
export async function authorizationRequest(s: Services, op: TrustedOp, level: SpidLevel, locale: string): Promise<{ url: string; pending: Pending }> {
  const config = await configuration(s, op);
  const keys = await brokerKeys(s);
  const pending: Pending = { idp: op.upstream.id, state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), level };
  const url = await client.buildAuthorizationUrlWithJAR(config, {
    redirect_uri: `${s.config.issuer}${CALLBACK_PATH}`,
    response_type: 'code',
    scope: 'openid',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    prompt: 'consent login',
    acr_values: level,
    claims: JSON.stringify({ userinfo: ASKED, id_token: { acr: { essential: true } } }),
    ui_locales: locale,
  }, { key: keys.core.key, kid: keys.core.kid });
  return { url: url.href, pending };
}

export interface Answer { claims: Record<string, unknown>; userinfo: Record<string, unknown> }

/** The way back: the code for tokens (ID token checked: issuer, audience, nonce, signature, expiry), then userinfo. */
export async function redeem(s: Services, op: TrustedOp, pending: Pending, query: Record<string, string>): Promise<Answer> {
  const config = await configuration(s, op);
  const current = new URL(`${s.config.issuer}${CALLBACK_PATH}`);
  for (const [k, v] of Object.entries(query)) current.searchParams.set(k, v);
  const tokens = await client.authorizationCodeGrant(config, current, {
    pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: pending.state, idTokenExpected: true,
  });
  const claims = tokens.claims() as Record<string, unknown>;
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
  return { claims, userinfo: userinfo as Record<string, unknown> };
}
