// The stand-in SPID identity provider checks the request objects it receives against the SPID/CIE
// OIDC profile: a relying party of the federation (a small one here, with its own entity
// configuration naming the stand-in's anchor) gets through with a conforming request object and is
// refused for each rule broken. An RP outside the federation is not a client at all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { signStatement } from '../../interactions/spid/federation.ts';
import { startSpidStub, type SpidStub } from '../helpers/spid.ts';

let stub: SpidStub;
let rp: http.Server;
let rpId = '';
let key: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  stub = await startSpidStub();
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), alg: 'RS256', use: 'sig' };
  publicJwk.kid = await calculateJwkThumbprint(publicJwk);
  // Two relying parties: ours at the root, and /outsider, whose configuration names another anchor.
  rp = http.createServer((req, res) => {
    const m = /^(\/outsider)?\/\.well-known\/openid-federation$/.exec(req.url ?? '');
    if (!m) { res.writeHead(404).end(); return; }
    const id = `${rpId}${m[1] ?? ''}`;
    void signStatement({
      iss: id, sub: id, jwks: { keys: [publicJwk] }, authority_hints: [m[1] ? 'http://127.0.0.1:9/another-anchor' : stub.anchor],
      metadata: { openid_relying_party: { client_id: id, redirect_uris: [`${id}/cb`], jwks: { keys: [publicJwk] }, client_registration_types: ['automatic'] } },
    }, { key, kid: publicJwk.kid!, alg: 'RS256' }, 3600).then((jwt) => res.writeHead(200, { 'content-type': 'application/entity-statement+jwt' }).end(jwt));
  });
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
  rpId = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await stub?.stop();
  await new Promise((r) => rp?.close(r));
});

const LONG = 'n'.repeat(43);
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: rpId, client_id: rpId, aud: stub.url, response_type: 'code', scope: 'openid', redirect_uri: `${rpId}/cb`,
    nonce: LONG, state: 's'.repeat(43), prompt: 'consent login', acr_values: 'https://www.spid.gov.it/SpidL2',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    claims: { userinfo: { 'https://attributes.eid.gov.it/fiscal_number': { essential: true } } },
    ...over,
  };
}

async function send(payload: Record<string, unknown>, signWith: CryptoKey = key): Promise<{ status: number; location: string; body: string }> {
  const now = Math.floor(Date.now() / 1000);
  const body: Record<string, unknown> = { iat: now, exp: now + 300, ...payload };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  const request = await new SignJWT(body).setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid! }).sign(signWith);
  const res = await fetch(`${stub.url}/auth?${new URLSearchParams({ client_id: rpId, request })}`, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location') ?? '', body: await res.text() };
}

describe('the stand-in checks request objects against the profile', () => {
  it('accepts a conforming one (to its login page)', async () => {
    const res = await send(claims());
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/\/interaction\//);
  });

  it.each([
    ['a short nonce', { nonce: 'short-nonce' }, /nonce/],
    ['a short state', { state: 'short' }, /state/],
    ['no PKCE', { code_challenge: undefined, code_challenge_method: undefined }, /PKCE|code_challenge/],
    ['PKCE plain', { code_challenge_method: 'plain' }, /S256|PKCE|code_challenge_method/],
    ['prompt without consent', { prompt: 'login' }, /prompt/],
    ['a non-SPID acr', { acr_values: 'urn:idp:loa:2' }, /acr_values/],
    ['a redirect_uri outside its federation metadata', { redirect_uri: `${'http://127.0.0.1:9'}/elsewhere` }, /redirect_uri/],
    ['another audience', { aud: 'https://elsewhere.example' }, /aud|claims are invalid/],
  ])('refuses %s', async (_what, over, why) => {
    const res = await send(claims(over));
    const where = res.location ? new URL(res.location, stub.url) : undefined;
    // Refused: an error page, or back to the RP's redirect_uri with an error, never the login page.
    expect(res.location).not.toMatch(/\/interaction\//);
    const error = where?.searchParams.get('error') ?? res.body;
    const description = where?.searchParams.get('error_description') ?? res.body;
    expect(error).toMatch(/invalid_request|invalid_request_object|invalid_redirect_uri|invalid_request_uri/);
    expect(description).toMatch(why);
  });

  it('refuses a request object not signed with the key of the RP\'s federation metadata', async () => {
    const other = await generateKeyPair('RS256');
    const res = await send(claims(), other.privateKey);
    expect(res.location).not.toMatch(/\/interaction\//);
    expect(res.location + res.body).toMatch(/invalid_request_object/);
  });

  it('does not know an RP whose entity configuration names another anchor', async () => {
    const outsider = `${rpId}/outsider`;
    const res = await fetch(`${stub.url}/auth?${new URLSearchParams({ client_id: outsider, request: 'x.y.z' })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/invalid_client/);
    expect(stub.lines.join('\n')).toContain(`relying party ${outsider} not accepted: its authority_hints do not name this trust anchor`);
  });
});
