// Tokens: only the owning client or a configured resource server learns about a token by
// introspection; refresh tokens of confidential clients are rotated with reuse detection; PKCE is
// required of every client unless its metadata relaxes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { CALLBACK, MARIO, TEST_DATA } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { login, relyingParty } from '../helpers/rp.ts';

const DATA = {
  ...TEST_DATA,
  clients: [
    ...TEST_DATA.clients,
    { client_id: 'rs', client_secret: 'rs-secret-0123456789', redirect_uris: [CALLBACK], grant_types: ['authorization_code'] },
    { client_id: 'legacy', client_secret: 'legacy-secret-0123456789', redirect_uris: [CALLBACK], first_party: true, pkce_required: false },
  ],
};

let t: TestIdp;
let rp: oidc.Configuration;
let tokens: oidc.TokenEndpointResponse;

beforeAll(async () => {
  t = await startIdp({ data: DATA, overrides: { introspectionClients: ['rs'] } });
  rp = await relyingParty(t.issuer);
  tokens = await login(new Browser(t.issuer), rp, MARIO);
});
afterAll(async () => t?.close());

async function introspect(clientId: string, secret: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.url}/token/introspection`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, client_secret: secret, token }).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function refresh(token: string) {
  return fetch(`${t.url}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'rp', client_secret: 'rp-secret-0123456789', grant_type: 'refresh_token', refresh_token: token }).toString(),
  });
}

describe('introspection', () => {
  it('tells another confidential client nothing about the access and refresh tokens', async () => {
    expect(await introspect('third', 'third-secret-0123456789', tokens.access_token)).toEqual({ active: false });
    expect(await introspect('third', 'third-secret-0123456789', tokens.refresh_token!)).toEqual({ active: false });
  });

  it('answers the owning client and a configured resource server', async () => {
    expect(await introspect('rp', 'rp-secret-0123456789', tokens.access_token)).toMatchObject({ active: true, client_id: 'rp' });
    expect(await introspect('rs', 'rs-secret-0123456789', tokens.access_token)).toMatchObject({ active: true, client_id: 'rp', sub: expect.any(String) });
  });
});

describe('refresh tokens of a confidential client', () => {
  it('are rotated, and a reused one revokes the grant (the newer token stops working too)', async () => {
    const fresh = await login(new Browser(t.issuer), rp, MARIO);
    const first = await refresh(fresh.refresh_token!);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as { refresh_token: string };
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(fresh.refresh_token);
    const reused = await refresh(fresh.refresh_token!);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(rotated.refresh_token)).status).toBe(400);
  });
});

describe('revocation', () => {
  const revoke = (token: string) => fetch(`${t.url}/token/revocation`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'rp', client_secret: 'rp-secret-0123456789', token }).toString(),
  });
  const userinfo = (token: string) => fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${token}` } });

  it('of an access token ends its whole grant: the refresh token and every other access token of it', async () => {
    const fresh = await login(new Browser(t.issuer), rp, MARIO);
    const next = (await (await refresh(fresh.refresh_token!)).json()) as { access_token: string; refresh_token: string };
    expect((await userinfo(next.access_token)).status).toBe(200);
    expect((await revoke(fresh.access_token)).status).toBe(200);
    expect(await introspect('rp', 'rp-secret-0123456789', fresh.access_token)).toEqual({ active: false });
    expect(await introspect('rp', 'rp-secret-0123456789', next.access_token)).toEqual({ active: false });
    expect(await introspect('rp', 'rp-secret-0123456789', next.refresh_token)).toEqual({ active: false });
    expect((await userinfo(next.access_token)).status).toBe(401);
    const refused = await refresh(next.refresh_token);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('of a refresh token ends its access tokens too, and leaves other logins alone', async () => {
    const other = await login(new Browser(t.issuer), rp, MARIO);
    const fresh = await login(new Browser(t.issuer), rp, MARIO);
    expect((await revoke(fresh.refresh_token!)).status).toBe(200);
    expect((await userinfo(fresh.access_token)).status).toBe(401);
    expect((await refresh(fresh.refresh_token!)).status).toBe(400);
    expect((await userinfo(other.access_token)).status).toBe(200);
    expect((await refresh(other.refresh_token!)).status).toBe(200);
  });
});

describe('PKCE', () => {
  const plainAuthorize = async (clientId: string) => {
    const browser = new Browser(t.issuer);
    const url = new URL(`${t.url}/auth`);
    url.search = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: CALLBACK, state: 'abcdefgh' }).toString();
    return browser.go(url.href);
  };

  it('is required of a confidential client', async () => {
    const page = await plainAuthorize('rp');
    expect(page.left).toMatch(/error=invalid_request/);
    expect(new URL(page.left!).searchParams.get('error_description')).toMatch(/PKCE|code_challenge/i);
  });

  it('may be relaxed for a legacy client by its metadata (pkce_required: false)', async () => {
    const page = await plainAuthorize('legacy');
    expect(page.left).toBeUndefined();
    expect(page.doc.querySelector('input[name=fiscal_code]')).toBeTruthy();
  });
});
