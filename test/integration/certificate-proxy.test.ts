// Certificate login behind a real nginx (proxy mode): nginx terminates TLS with
// `ssl_verify_client optional_no_ca` and passes the certificate in X-SSL-Client-Cert; the IdP
// believes that header only from 127.0.0.1. A client with its certificate logs in at loa:3; the same
// header sent straight to the IdP from 127.0.0.2 is ignored (and audited); refused certificates get
// a page that says what to do next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import forge from 'node-forge';
import { forgePublicKey, newSerial, signByCa } from '../../interactions/certificate/ca.ts';
import { certificatesOf } from '../../interactions/certificate/certificates.ts';
import { DAY_MS } from '../../src/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import * as oidc from 'openid-client';
import { clientCertFrom, makeAnchor, rsaKey, testCa, tlsFetch, certificateOverrides } from '../helpers/certificate.ts';
import { CALLBACK, CERT_DATA, issueFor, LOA3, LUIGI_OP, MARIO_OP, tlsRelyingParty, type Issued } from '../helpers/certificate-data.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { NGINX, startNginx, type Nginx } from '../helpers/nginx.ts';
import { authorizationUrl, enterCredentials, exchange } from '../helpers/rp.ts';
import { freePort } from '../global-setup.ts';

let t: TestIdp;
let nginx: Nginx;
let mario: Issued;
const ca = testCa();
const rpAnchor = makeAnchor('Test RP CA (proxy)');
const rpCert = clientCertFrom(rpAnchor.ca, [{ name: 'commonName', value: 'mtls-rp' }]);

beforeAll(async () => {
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  t = await startIdp({
    data: {
      ...CERT_DATA,
      clients: [...CERT_DATA.clients, {
        client_id: 'mtls-rp', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=mtls-rp',
        tls_client_certificate_bound_access_tokens: true, redirect_uris: [CALLBACK], first_party: true,
      }],
    },
    overrides: { issuer, trustProxy: true, ...certificateOverrides({ mode: 'proxy', trustedProxies: ['127.0.0.1/32'], extraAnchorsFile: rpAnchor.file }) },
  });
  // nginx's own server certificate, from the test CA.
  const serverKey = rsaKey();
  const server = signByCa(ca, {
    publicKey: forgePublicKey(serverKey.privateKey), subject: [{ name: 'commonName', value: '127.0.0.1' }], serial: newSerial(),
    notBefore: Date.now() - DAY_MS, notAfter: Date.now() + DAY_MS, usage: 'server', ips: ['127.0.0.1'],
  });
  nginx = await startNginx({ port, upstream: t.url, certPem: server.pem, keyPem: serverKey.keyPem, clientCaPem: ca.pem });
  mario = await issueFor(t, 'O.12345678.MARIO');
});
afterAll(async () => {
  await nginx?.stop();
  await t?.close();
});

/** A browser that talks to nginx, presenting `cert` when given. */
function browserWith(cert?: { certPem: string; keyPem: string }, localAddress?: string): Browser {
  const b = new Browser(t.issuer);
  b.fetcher = tlsFetch({ cert: cert?.certPem, key: cert?.keyPem, localAddress });
  return b;
}

async function startLogin(browser: Browser, who: { company_code: string; operator_code?: string; password: string }) {
  const rp = await tlsRelyingParty(t.issuer);
  const started = await authorizationUrl(rp, { acr_values: LOA3 });
  const page = await enterCredentials(browser, await browser.go(started.url), who);
  return { rp, started, page };
}

const lastAudit = async (event: string) => (await t.idp.services.audit.query({ count: 1, filter: { event } }))[0];

describe.skipIf(!NGINX || !realRedis)('certificate login behind nginx', () => {
  it('logs in at loa:3 with the operator\'s certificate and password (amr swk, pwd)', async () => {
    const browser = browserWith(mario);
    const { rp, started, page } = await startLogin(browser, MARIO_OP);
    expect(page.left, `${page.status} ${page.alert ?? ''} ${nginx.errors()}`).toBeDefined();
    const tokens = await exchange(rp, started, page.left!);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(LOA3);
    expect(claims.amr).toEqual(expect.arrayContaining(['swk', 'pwd']));
    expect((await lastAudit('login.certificate'))).toMatchObject({ outcome: 'success', subject: 'O.12345678.MARIO' });
  });

  it('shows the identify page with the certificate hint and the activation link, and discovery offers loa:3', async () => {
    const browser = browserWith();
    const rp = await tlsRelyingParty(t.issuer);
    const page = await browser.go((await authorizationUrl(rp, { acr_values: LOA3 })).url);
    expect(page.doc.querySelector('#certificate-next a')?.getAttribute('href')).toBe('/certificate/activate');
    expect(rp.serverMetadata().acr_values_supported).toContain(LOA3);
  });

  it('refuses a login without a certificate: a page that says to activate one', async () => {
    const { page } = await startLogin(browserWith(), MARIO_OP);
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/No certificate was presented/);
    expect(page.doc.querySelector('#certificate-activate')?.getAttribute('href')).toBe('/certificate/activate');
    expect(page.doc.querySelector('input[name=password]')).toBeNull();
  });

  it('refuses another operator\'s certificate (wrong account)', async () => {
    const { page } = await startLogin(browserWith(mario), LUIGI_OP);
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/belongs to another user/);
    expect((await lastAudit('login.certificate'))?.reason).toMatch(/^wrong_account/);
  });

  it('refuses the administrator\'s login of another company with this certificate', async () => {
    const { page } = await startLogin(browserWith(mario), { company_code: '87654321', operator_code: 'MARIO', password: 'B3taMario' });
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/belongs to another user/);
  });

  it('refuses a revoked certificate, saying when and what to do', async () => {
    const luigi = await issueFor(t, 'O.12345678.LUIGI');
    expect(await certificatesOf(t.idp.services).revoke(luigi.record.serial, 'keyCompromise', 'test')).toBe('ok');
    const { page } = await startLogin(browserWith(luigi), LUIGI_OP);
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/was revoked on \d{4}-\d{2}-\d{2}\. Activate a new one/);
  });

  it('refuses expired, not-yet-valid and foreign certificates', async () => {
    const key = rsaKey();
    const dated = (notBefore: number, notAfter: number) => ({
      certPem: signByCa(ca, { publicKey: forgePublicKey(key.privateKey), subject: [{ name: 'commonName', value: 'x' }], serial: newSerial(), notBefore, notAfter, usage: 'client' }).pem,
      keyPem: key.keyPem,
    });
    const expired = await startLogin(browserWith(dated(Date.now() - 400 * DAY_MS, Date.now() - DAY_MS)), MARIO_OP);
    expect(expired.page.alert).toMatch(/expired on/);
    const early = await startLogin(browserWith(dated(Date.now() + DAY_MS, Date.now() + 400 * DAY_MS)), MARIO_OP);
    expect(early.page.alert).toMatch(/valid only from/);
    // Self-signed, with our CA's name as issuer.
    const self = forge.pki.createCertificate();
    self.publicKey = forgePublicKey(key.privateKey);
    self.serialNumber = newSerial();
    self.validity.notBefore = new Date(Date.now() - DAY_MS);
    self.validity.notAfter = new Date(Date.now() + DAY_MS);
    self.setSubject([{ name: 'commonName', value: 'intruder' }]);
    self.setIssuer([{ name: 'commonName', value: 'Test Client CA' }]);
    self.sign(key.forgeKey, forge.md.sha256.create());
    const foreign = await startLogin(browserWith({ certPem: forge.pki.certificateToPem(self), keyPem: key.keyPem }), MARIO_OP);
    expect(foreign.page.alert).toMatch(/not issued by us/);
    for (const p of [expired.page, early.page, foreign.page]) expect(p.status).toBe(401);
  });

  it('ignores (and audits) the header sent straight to the IdP from 127.0.0.2; believes it from 127.0.0.1', async () => {
    const header = { 'x-ssl-client-cert': encodeURIComponent(mario.certPem) };
    const direct = async (localAddress: string) => {
      const b = new Browser(t.issuer);
      b.via = t.url;
      const plain = tlsFetch({ localAddress });
      b.fetcher = ((url: string, init: RequestInit) => plain(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...header } })) as typeof fetch;
      const rp = await tlsRelyingParty(t.issuer);
      return enterCredentials(b, await b.go((await authorizationUrl(rp, { acr_values: LOA3 })).url), MARIO_OP);
    };
    const refused = await direct('127.0.0.2');
    expect(refused.status).toBe(401);
    expect(refused.alert).toMatch(/No certificate was presented/);
    const audit = await lastAudit('certificate.header_untrusted');
    expect(audit?.reason).toMatch(/from (::ffff:)?127\.0\.0\.2, not a trusted proxy/);
    const believed = await direct('127.0.0.1');
    expect(believed.left).toBeDefined();
  });

  it('does not pass on a certificate header the client itself sends through nginx', async () => {
    const b = browserWith();
    const plain = tlsFetch({});
    b.fetcher = ((url: string, init: RequestInit) => plain(url, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-ssl-client-cert': encodeURIComponent(mario.certPem) } })) as typeof fetch;
    const rp = await tlsRelyingParty(t.issuer);
    const page = await enterCredentials(b, await b.go((await authorizationUrl(rp, { acr_values: LOA3 })).url), MARIO_OP);
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/No certificate was presented/);
  });

  it('answers a garbage or truncated header from the trusted proxy with a 400 page', async () => {
    for (const value of ['garbage', encodeURIComponent(mario.certPem.slice(0, 500)), encodeURIComponent(mario.certPem + ca.pem)]) {
      const b = new Browser(t.issuer);
      b.via = t.url;
      const plain = tlsFetch({ localAddress: '127.0.0.1' });
      b.fetcher = ((url: string, init: RequestInit) => plain(url, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-ssl-client-cert': value } })) as typeof fetch;
      const rp = await tlsRelyingParty(t.issuer);
      const page: Page = await enterCredentials(b, await b.go((await authorizationUrl(rp, { acr_values: LOA3 })).url), MARIO_OP);
      expect(page.status).toBe(400);
      expect(page.alert).toMatch(/could not be read/);
    }
  });

  it('serves the CA certificate and a CRL that lists a revoked certificate', async () => {
    const caRes = await tlsFetch({})(`${t.issuer}/pki/ca.pem`);
    expect(await caRes.text()).toBe(ca.pem);
    const luigi = await issueFor(t, 'O.12345678.LUIGI');
    await certificatesOf(t.idp.services).revoke(luigi.record.serial, 'affiliationChanged', 'test');
    const res = await tlsFetch({})(`${t.issuer}/pki/crl`);
    expect(res.headers.get('content-type')).toBe('application/pkix-crl');
    const der = Buffer.from(await res.arrayBuffer());
    // The serial's bytes are in the DER list of revoked certificates.
    expect(der.includes(Buffer.from(luigi.record.serial, 'hex'))).toBe(true);
    expect(der.includes(Buffer.from(mario.record.serial, 'hex'))).toBe(false);
    const again = await tlsFetch({})(`${t.issuer}/pki/crl`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('RFC 8705 through nginx: tls_client_auth, a token bound to the certificate, userinfo refuses it without that certificate', async () => {
    const fetcher = tlsFetch({ cert: rpCert.certPem, key: rpCert.keyPem }) as unknown as oidc.CustomFetch;
    const rp = await oidc.discovery(new URL(t.issuer), 'mtls-rp', undefined, oidc.TlsClientAuth(), { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetcher });
    rp[oidc.customFetch] = fetcher;
    const started = await authorizationUrl(rp);
    const browser = browserWith();
    const page = await enterCredentials(browser, await browser.go(started.url), MARIO_OP);
    const tokens = await exchange(rp, started, page.left!);
    const introspection = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect((introspection.cnf as Record<string, string>)['x5t#S256']).toBeTruthy();
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, oidc.skipSubjectCheck)).sub).toBeDefined();
    const without = await tlsFetch({})(`${t.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(without.status).toBe(401);
  });

});
