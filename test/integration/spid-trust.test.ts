// SPID federation trust: a provider is offered only when its trust chain to the configured anchor
// verifies (the anchor's subordinate statement in date, signed with the anchor's key); chains are
// cached in Redis until their expiry; the metadata policy is applied. And just-in-time citizens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { applyPolicy, TrustError } from '../../interactions/spid/federation.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, exchange, relyingParty } from '../helpers/rp.ts';
import { startSpidStub, throughStandIn, type SpidStub } from '../helpers/spid.ts';

const L2 = 'https://www.spid.gov.it/SpidL2';
let good: SpidStub;
let expired: SpidStub;
beforeAll(async () => {
  [good, expired] = await Promise.all([startSpidStub(), startSpidStub({ SPID_STUB_STATEMENT_TTL: '-60' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([good?.stop(), expired?.stop()]);
});

async function offered(t: TestIdp): Promise<{ identify: boolean; chooser: string[]; chooserStatus: number }> {
  const rp = await relyingParty(t.issuer);
  const identify = await new Browser(t.issuer).go((await authorizationUrl(rp)).url);
  const chooser = await new Browser(t.issuer).go((await authorizationUrl(rp, { acr_values: L2 })).url);
  return {
    identify: !!identify.doc.querySelector('#spid'),
    chooser: chooser.doc.querySelectorAll('button[name=idp]').map((b) => b.getAttribute('value') ?? ''),
    chooserStatus: chooser.status,
  };
}

async function withIdp(env: Record<string, string>, fn: (t: TestIdp) => Promise<void>): Promise<void> {
  const t = await startIdp({ env });
  try { await fn(t); } finally { await t.close(); }
}

describe('trust chains', () => {
  it('offers a provider whose chain verifies, and caches the chain in Redis until its expiry', async () => {
    await withIdp({ SPID_STUB: '1', SPID_STUB_URL: good.url }, async (t) => {
      expect(await offered(t)).toEqual({ identify: true, chooser: ['stub'], chooserStatus: 200 });
      const key = `spid:chain:{${good.url}}`;
      const ttl = await t.idp.services.redis.ttl(key);
      expect(ttl).toBeGreaterThan(3600);
      expect(ttl).toBeLessThanOrEqual(86400);
      expect(JSON.parse((await t.idp.services.redis.get(key))!)).toMatchObject({ ok: true, metadata: { issuer: good.url, token_endpoint_auth_methods_supported: ['private_key_jwt'] } });
    });
  });

  it('does not offer a provider whose subordinate statement expired, and audits it', async () => {
    await withIdp({ SPID_STUB: '1', SPID_STUB_URL: expired.url }, async (t) => {
      const seen = await offered(t);
      expect(seen.identify).toBe(false);
      expect(seen.chooser).toEqual([]);
      expect(seen.chooserStatus).toBe(400);
      const [event] = await t.idp.services.audit.recent(1, { event: 'spid.trust' });
      expect(event).toMatchObject({ outcome: 'failure', subject: expired.url, reason: expect.stringMatching(/ERR_JWT_EXPIRED/) });
    });
  });

  it('does not offer a provider when the anchor\'s configured key is not the one that signs', async () => {
    const { publicKey } = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'other', alg: 'RS256' }] });
    await withIdp({ SPID_STUB: '1', SPID_STUB_URL: good.url, SPID_TRUST_ANCHOR_JWKS: jwks }, async (t) => {
      expect((await offered(t)).chooser).toEqual([]);
      expect((await t.idp.services.audit.recent(1, { event: 'spid.trust' }))[0]?.reason).toMatch(/anchor by .*anchor: ERR_JWKS_NO_MATCHING_KEY/);
    });
  });

  it('does not offer a provider whose chain ends at another anchor', async () => {
    const providers = JSON.stringify([{ id: 'good', entityId: good.url, name: 'Good' }, { id: 'elsewhere', entityId: expired.url, name: 'Elsewhere' }]);
    await withIdp({ SPID_PROVIDERS: providers, SPID_TRUST_ANCHOR: good.anchor }, async (t) => {
      expect((await offered(t)).chooser).toEqual(['good']);
      expect((await t.idp.services.audit.recent(1, { event: 'spid.trust' }))[0]).toMatchObject({ subject: expired.url, reason: expect.stringMatching(/authority_hints/) });
    });
  });
});

describe('metadata policy', () => {
  it('applies value, add, default, subset_of and refuses one_of, superset_of and essential violations', () => {
    const out = applyPolicy(
      { a: ['x', 'y', 'z'], b: 'one', c: ['k'] },
      { a: { subset_of: ['x', 'z', 'w'] }, b: { value: 'two' }, c: { add: ['m'] }, d: { default: 5 } },
    );
    expect(out).toEqual({ a: ['x', 'z'], b: 'two', c: ['k', 'm'], d: 5 });
    expect(() => applyPolicy({ b: 'three' }, { b: { one_of: ['one', 'two'] } })).toThrow(TrustError);
    expect(() => applyPolicy({ c: ['k'] }, { c: { superset_of: ['k', 'm'] } })).toThrow(TrustError);
    expect(() => applyPolicy({}, { e: { essential: true } })).toThrow(TrustError);
    expect(() => applyPolicy({}, { f: 'not an object' as never })).toThrow(TrustError);
  });
});

describe('just in time', () => {
  it('creates the citizen on a first SPID login with SPID_JIT=1, with the SPID attributes as claims', async () => {
    await withIdp({ SPID_STUB: '1', SPID_STUB_URL: good.url, SPID_JIT: '1' }, async (t) => {
      expect(await t.idp.services.accounts.findById('C.BNCLRA92E45F205F')).toBeUndefined();
      const rp = await relyingParty(t.issuer);
      const browser = new Browser(t.issuer);
      const started = await authorizationUrl(rp, { acr_values: L2, scope: 'openid spid profile' });
      const { back } = await throughStandIn(browser, good.url, await browser.go(started.url), { identity: 'BNCLRA92E45F205F' });
      const tokens = await exchange(rp, started, back.left!);
      expect(tokens.claims()).toMatchObject({ acr: L2 });
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
      expect(info).toMatchObject({ given_name: 'Laura', family_name: 'Bianchi', email: 'laura.bianchi@example.org', phone_number: '+393471112233', 'https://attributes.eid.gov.it/fiscal_number': 'TINIT-BNCLRA92E45F205F' });
      expect(await t.idp.services.accounts.findById('C.BNCLRA92E45F205F')).toMatchObject({ type: 'citizen', givenName: 'Laura', familyName: 'Bianchi' });
      expect((await t.idp.services.audit.recent(1, { event: 'account.create' }))[0]).toMatchObject({ subject: 'C.BNCLRA92E45F205F', reason: 'SPID just in time' });
    });
  });
});
