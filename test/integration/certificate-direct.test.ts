// Direct mode: the certificate step sends the browser to our own HTTPS listener (MTLS_PORT), which
// asks for the certificate and sends it back. Login with and without a certificate, a smart card
// from a further trust anchor, the 60/30-day renewal windows on a controllable clock (renewal by
// JSON, the old certificate retired at the new one's first login), and RFC 8705 clients at the
// listener's endpoint aliases: tls_client_auth, self_signed_tls_client_auth, certificate-bound tokens.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import * as oidc from 'openid-client';
import { certificatesOf } from '../../interactions/certificate/certificates.ts';
import { DAY_MS, ManualClock } from '../../src/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { certificateOverrides, clientCertFrom, makeAnchor, makeCsr, rsaKey, tlsFetch } from '../helpers/certificate.ts';
import { ADMIN_PASSWORD, CALLBACK, CERT_DATA, issueFor, LOA3, MARIO_OP, type Issued } from '../helpers/certificate-data.ts';
import { MARIO } from '../helpers/data.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty, type Started } from '../helpers/rp.ts';
import { freePort } from '../global-setup.ts';

const clock = new ManualClock();
const anchor = makeAnchor('Test Smart Card and RP CA');
const rpCert = clientCertFrom(anchor.ca, [{ name: 'commonName', value: 'mtls-rp' }, { name: 'organizationName', value: 'Test RP' }]);
const selfSigned = clientCertFrom(makeAnchor('self-rp').ca, [{ name: 'commonName', value: 'self-rp' }]);
const smartCard = clientCertFrom(anchor.ca, [{ name: 'commonName', value: 'ROSSI MARIO' }, { name: 'serialNumber', value: `TINIT-${MARIO.fiscal_code}` }]);

let t: TestIdp;
let mtls: string;
let mario: Issued;

beforeAll(async () => {
  const port = await freePort();
  mtls = `https://127.0.0.1:${port}`;
  const selfX509 = new X509Certificate(selfSigned.certPem);
  const data = {
    ...CERT_DATA,
    clients: [
      ...CERT_DATA.clients,
      {
        client_id: 'mtls-rp', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=mtls-rp,O=Test RP',
        tls_client_certificate_bound_access_tokens: true, redirect_uris: [CALLBACK], first_party: true,
      },
      {
        client_id: 'self-rp', token_endpoint_auth_method: 'self_signed_tls_client_auth', tls_client_certificate_bound_access_tokens: true,
        jwks: { keys: [{ ...selfX509.publicKey.export({ format: 'jwk' }), x5c: [selfX509.raw.toString('base64')] }] },
        redirect_uris: [CALLBACK], first_party: true,
      },
    ],
  };
  t = await startIdp({ data, options: { clock }, overrides: certificateOverrides({ mode: 'direct', port, extraAnchorsFile: anchor.file }) });
  mario = await issueFor(t, 'O.12345678.MARIO');
});
afterAll(async () => t?.close());

/** The login up to the page after the certificate: the browser goes to the listener and back. */
async function loginWith(cert: { certPem: string; keyPem: string } | undefined, who: Parameters<typeof enterCredentials>[2] = MARIO_OP, clientId = 'rp') {
  const browser = new Browser(t.issuer);
  browser.fetcher = tlsFetch({ cert: cert?.certPem, key: cert?.keyPem });
  const rp = clientId === 'rp' ? await relyingParty(t.issuer) : await relyingParty(t.issuer, clientId, undefined);
  const started = await authorizationUrl(rp, { acr_values: LOA3 });
  const first = await browser.go(started.url);
  const name = { ...who } as Record<string, string>;
  delete name.password;
  let page = await browser.submit(first, name);
  if (page.left?.startsWith(mtls)) page = await browser.go(page.left);
  return { browser, page, started, rp };
}

async function finish(l: Awaited<ReturnType<typeof loginWith>>, password = MARIO_OP.password): Promise<Page> {
  return l.browser.submit(l.page, { password });
}

describe.skipIf(!realRedis)('direct mode', () => {
  it('logs in at loa:3 through the listener with the certificate', async () => {
    const l = await loginWith(mario);
    expect(l.page.doc.querySelector('input[name=password]'), `${l.page.status} ${l.page.alert}`).not.toBeNull();
    const done = await finish(l);
    const claims = (await exchange(l.rp, l.started, done.left!)).claims()!;
    expect(claims.acr).toBe(LOA3);
    expect(claims.amr).toEqual(expect.arrayContaining(['swk', 'pwd']));
  });

  it('refuses a login that presents no certificate to the listener', async () => {
    const l = await loginWith(undefined);
    expect(l.page.status).toBe(401);
    expect(l.page.alert).toMatch(/No certificate was presented/);
  });

  it('takes a smart card from a further anchor for the citizen it names (amr sc, hwk)', async () => {
    const l = await loginWith(smartCard, MARIO);
    const done = await finish(l, MARIO.password);
    const claims = (await exchange(l.rp, l.started, done.left!)).claims()!;
    expect(claims.amr).toEqual(expect.arrayContaining(['sc', 'hwk', 'pwd']));
    expect(claims.amr).not.toContain('swk');
  });

  it('keeps the capture URL to the listener and to logins that wait for it', async () => {
    expect((await fetch(`${t.url}/certificate/mtls?state=${'a'.repeat(32)}`)).status).toBe(404);
    expect((await tlsFetch({})(`${mtls}/certificate/mtls?state=${'a'.repeat(32)}`)).status).toBe(400);
    expect((await tlsFetch({})(`${mtls}/certificate/mtls?state=%00`)).status).toBe(400);
  });
});

describe.skipIf(!realRedis)('renewal windows (a controllable clock)', () => {
  let own: Issued;
  beforeAll(async () => { own = await issueFor(t, 'O.12345678.MARIO'); });
  const at = (daysBeforeExpiry: number) => clock.advance(own.record.notAfter - daysBeforeExpiry * DAY_MS - clock.now());

  it('61 days before expiry: no renewal page', async () => {
    at(61);
    const l = await loginWith(own);
    expect(l.page.doc.querySelector('input[name=password]')).not.toBeNull();
    expect(l.page.doc.querySelector('#renew-days')).toBeNull();
  });

  it('from 60 days: the days left with renew or continue; continue goes on to the password', async () => {
    at(45);
    const l = await loginWith(own);
    expect(l.page.doc.querySelector('#renew-days')?.getAttribute('data-days')).toBe('45');
    expect(l.page.doc.querySelectorAll('button[name=choice]').map((b) => b.getAttribute('value'))).toEqual(['renew', 'continue']);
    const next = await l.browser.submit(l.page, { choice: 'continue' });
    expect(next.doc.querySelector('input[name=password]')).not.toBeNull();
    expect((await finish({ ...l, page: next })).left).toBeDefined();
  });

  it('from 30 days: renewal is mandatory; a wrong administrator password counts; the CSR goes as JSON; the new certificate retires the old', async () => {
    at(20);
    const l = await loginWith(own);
    expect(l.page.doc.querySelector('#renew-days')?.getAttribute('data-days')).toBe('20');
    expect(l.page.doc.querySelector('button[name=choice]')).toBeNull();
    expect(l.page.doc.querySelector('input[name=password]')).not.toBeNull();
    const wrong = await l.browser.submit(l.page, { password: 'Wrong12345' });
    expect(wrong.status).toBe(401);
    expect((await t.idp.services.passwords.get('A.12345678', 'administrator'))?.failures).toBe(1);
    const keysPage = await l.browser.submit(wrong, { password: ADMIN_PASSWORD });
    const form = keysPage.doc.querySelector('#cert-keys');
    expect(form, `${keysPage.status} ${keysPage.alert}`).not.toBeNull();
    const subject = JSON.parse(form!.getAttribute('data-subject')!) as { name: string; value: string }[];
    const csrf = form!.getAttribute('data-csrf')!;
    const post = (body: unknown) => l.browser.raw(new URL(form!.getAttribute('data-csr-url')!, t.issuer).href, {
      method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
    });
    const count = async () => (await certificatesOf(t.idp.services).ofAccount('O.12345678.MARIO')).length;
    const before = await count();
    // Bad input: nothing issued.
    expect((await post({ csrf, csr: 'garbage' })).status).toBe(400);
    expect((await post({ csrf, csr: makeCsr(rsaKey(1024), subject) })).status).toBe(400);
    expect((await post({ csrf, csr: makeCsr(rsaKey(), [{ name: 'commonName', value: '1'.repeat(23) }, ...subject.slice(1)]) })).status).toBe(400);
    expect((await post({ csrf, csr: makeCsr(own.key, subject) })).status).toBe(400); // the old key again
    expect(await count()).toBe(before);
    const key = rsaKey();
    const res = await post({ csrf, csr: makeCsr(key, subject) });
    expect(res.status).toBe(200);
    const issued = await res.json() as { certificate: string; identifier: string; serial: string };
    expect(issued.identifier).toMatch(/^0000012345\d{5}\d{8}$/);
    expect(new X509Certificate(issued.certificate).subject).toContain(`CN=${issued.identifier}`);
    // The page after the script: "continue", then the password; the old certificate still works until the new one is used.
    const after = await l.browser.go(l.page.url.replace(/\?.*$/, '').replace(/\/callback\/.*$/, ''));
    const cont = await l.browser.submit(after, { done: '1' });
    expect((await finish({ ...l, page: cont })).left).toBeDefined();
    const certs = certificatesOf(t.idp.services);
    expect((await certs.get(own.record.serial))?.revokedAt).toBeUndefined();
    const withNew = await loginWith({ certPem: issued.certificate, keyPem: key.keyPem });
    expect(withNew.page.doc.querySelector('input[name=password]')).not.toBeNull();
    expect(await certs.get(own.record.serial)).toMatchObject({ reason: 'superseded' });
    const withOld = await loginWith(own);
    expect(withOld.page.alert).toMatch(/was revoked on/);
  });
});

describe.skipIf(!realRedis)('RFC 8705 clients at the listener', () => {
  async function codeFor(clientId: string): Promise<{ started: Started; callback: string }> {
    const rp = await relyingParty(t.issuer, clientId, undefined);
    const started = await authorizationUrl(rp);
    const browser = new Browser(t.issuer);
    const page = await enterCredentials(browser, await browser.go(started.url), { fiscal_code: MARIO.fiscal_code, password: MARIO.password });
    if (!page.left) throw new Error(`${page.status} ${page.alert}`);
    return { started, callback: page.left };
  }

  async function mtlsClient(clientId: string, tls: { certPem: string; keyPem: string }, auth: oidc.ClientAuth) {
    const fetcher = tlsFetch({ cert: tls.certPem, key: tls.keyPem }) as unknown as oidc.CustomFetch;
    const rp = await oidc.discovery(new URL(t.issuer), clientId, { use_mtls_endpoint_aliases: true }, auth, { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetcher });
    rp[oidc.customFetch] = fetcher;
    return rp;
  }

  it('discovery names the listener\'s endpoint aliases', async () => {
    const meta = (await relyingParty(t.issuer)).serverMetadata();
    expect(meta.mtls_endpoint_aliases?.token_endpoint).toBe(`${mtls}/token`);
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
  });

  it('tls_client_auth: the token is bound to the certificate (cnf.x5t#S256); userinfo refuses it without that certificate', async () => {
    const rp = await mtlsClient('mtls-rp', rpCert, oidc.TlsClientAuth());
    const { started, callback } = await codeFor('mtls-rp');
    const tokens = await exchange(rp, started, callback);
    const thumbprint = new X509Certificate(rpCert.certPem).fingerprint256.replace(/:/g, '');
    const introspection = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect((introspection.cnf as Record<string, string>)['x5t#S256']).toBe(Buffer.from(thumbprint, 'hex').toString('base64url'));
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, oidc.skipSubjectCheck)).sub).toBeDefined();
    const without = await fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(without.status).toBe(401);
    const other = await tlsFetch({ cert: mario.certPem, key: mario.keyPem })(`${mtls}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(other.status).toBe(401);
  });

  it('tls_client_auth refuses a certificate with another subject, or none', async () => {
    const { started, callback } = await codeFor('mtls-rp');
    const wrong = await mtlsClient('mtls-rp', clientCertFrom(anchor.ca, [{ name: 'commonName', value: 'someone-else' }]), oidc.TlsClientAuth());
    await expect(exchange(wrong, started, callback)).rejects.toMatchObject({ error: 'invalid_client' });
    const next = await codeFor('mtls-rp');
    const none = await mtlsClient('mtls-rp', { certPem: '', keyPem: '' }, oidc.TlsClientAuth());
    await expect(exchange(none, next.started, next.callback)).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('self_signed_tls_client_auth: the certificate registered in the client\'s JWKS', async () => {
    const rp = await mtlsClient('self-rp', selfSigned, oidc.TlsClientAuth());
    const { started, callback } = await codeFor('self-rp');
    const tokens = await exchange(rp, started, callback);
    expect(tokens.access_token).toBeTruthy();
    const other = await mtlsClient('self-rp', rpCert, oidc.TlsClientAuth());
    const next = await codeFor('self-rp');
    await expect(exchange(other, next.started, next.callback)).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

// The page the login shows for a step (for debugging failures).
export const describePage = (p: Page) => `${p.status} ${p.alert ?? ''} ${parse(p.html).querySelector('h1')?.text ?? ''}`;
