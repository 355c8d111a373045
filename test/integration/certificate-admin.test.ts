// Activation without a script (the server makes the key), its refusals and lockout; the activation's
// CSR endpoint with bad input; the `cert` commands; a company that requires certificate login; the
// company administrator's and the back office's certificate lists (revoke, remove), and who may not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesOf } from '../../interactions/certificate/certificates.ts';
import { openPkcs12 } from '../../interactions/certificate/pkcs12.ts';
import { runCli } from '../../src/cli/main.ts';
import { DAY_MS } from '../../src/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { certificateOverrides, makeCsr, rsaKey } from '../helpers/certificate.ts';
import { ACME, BETA, CERT_DATA, issueFor, LOA3, MARIO_OP } from '../helpers/certificate-data.ts';
import { csrfOf, postTo, STAFF } from '../helpers/company-data.ts';
import { realRedis, redisUrl, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
const DATA = {
  ...CERT_DATA,
  citizens: [...CERT_DATA.citizens, { fiscal_code: STAFF.fiscal_code, password: STAFF.password, must_change: false, roles: ['backoffice'] }],
};

beforeAll(async () => {
  t = await startIdp({ data: DATA, overrides: { backofficeAcr: 'urn:idp:loa:1', ...certificateOverrides({ mode: 'proxy' }) } });
});
afterAll(async () => t?.close());

const certs = () => certificatesOf(t.idp.services);
const activation = (code: string) => t.idp.services.passwords.get(`A.${code}`, 'activation');

async function toPasswordPage(browser: Browser, company: string, operator = ''): Promise<Page> {
  const first = await browser.go(`${t.url}/certificate/activate`);
  return browser.submit(first, { company_code: company, operator_code: operator });
}

describe.skipIf(!realRedis)('activation without a script', () => {
  it('company code and operator → activation password → a server-made key in a PKCS#12 downloaded once', async () => {
    const browser = new Browser(t.url);
    const pw = await toPasswordPage(browser, ACME, 'luigi');
    expect(pw.doc.querySelector('input[name=password]')).not.toBeNull();
    const wrong = await browser.submit(pw, { password: 'WRONG99' });
    expect(wrong.status).toBe(401);
    expect(wrong.alert).toMatch(/not valid, has expired or is locked/);
    expect((await activation(ACME))?.failures).toBe(1);
    const keys = await browser.submit(wrong, { password: 'PIPPO138' });
    expect((await activation(ACME))?.failures).toBe(0);
    const identifier = keys.doc.querySelector('#cert-identifier')?.text;
    expect(identifier).toMatch(/^0000012345\d{5}\d{8}$/);
    const before = (await certs().ofAccount('O.12345678.LUIGI')).length;
    const short = await browser.submit(keys, { p12_password: 'short', p12_password_confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.alert).toMatch(/too short: at least 8/);
    const mismatch = await browser.submit(keys, { p12_password: 'Long-enough-1', p12_password_confirm: 'Long-enough-2' });
    expect(mismatch.status).toBe(400);
    expect((await certs().ofAccount('O.12345678.LUIGI')).length).toBe(before);
    const done = await browser.submit(keys, { p12_password: 'Long-enough-1', p12_password_confirm: 'Long-enough-1' });
    const link = done.doc.querySelector('#cert-download')?.getAttribute('href');
    expect(link).toMatch(/^\/certificate\/download\//);
    const file = await browser.raw(`${t.url}${link}`);
    expect(file.headers.get('content-type')).toBe('application/x-pkcs12');
    const opened = openPkcs12(Buffer.from(await file.arrayBuffer()), 'Long-enough-1');
    expect(opened.certs[0]!.subject.getField('CN').value).toBe(identifier);
    expect((await browser.raw(`${t.url}${link}`)).status).toBe(404);
    const record = (await certs().ofAccount('O.12345678.LUIGI'))[0]!;
    expect(record).toMatchObject({ identifier, via: 'server', operatorCode: 'LUIGI', companyCode: ACME });
  });

  it('an unknown operator gets the same pages, and nothing is counted', async () => {
    const browser = new Browser(t.url);
    const pw = await toPasswordPage(browser, ACME, 'NOBODY');
    expect(pw.doc.querySelector('input[name=password]')).not.toBeNull();
    const before = (await activation(ACME))?.failures;
    const refused = await browser.submit(pw, { password: 'PIPPO138' });
    expect(refused.status).toBe(401);
    expect((await activation(ACME))?.failures).toBe(before);
  });

  it('locks the activation password after 7 wrong entries; an expired one is refused too', async () => {
    const browser = new Browser(t.url);
    let page = await toPasswordPage(browser, BETA);
    for (let i = 0; i < 7; i += 1) page = await browser.submit(page, { password: `WRONG${i}x` });
    expect((await activation(BETA))?.locked).toBe(true);
    const right = await browser.submit(page, { password: 'BETA2024' });
    expect(right.status).toBe(401);
    expect(right.doc.querySelector('#cert-identifier')).toBeNull();

    await t.idp.services.passwords.set(`A.${BETA}`, 'activation', 'BETA2025', { mustChange: false, expiresAt: Date.now() - DAY_MS });
    const other = new Browser(t.url);
    const expired = await other.submit(await toPasswordPage(other, BETA), { password: 'BETA2025' });
    expect(expired.status).toBe(401);
    expect(expired.doc.querySelector('#cert-identifier')).toBeNull();
    expect((await t.idp.services.audit.query({ count: 1, filter: { event: 'certificate.activate.password' } }))[0]?.reason).toBe('expired');
  });
});

describe.skipIf(!realRedis)('activation password and the abuse limits', () => {
  it('counts each wrong try per name, known or not: over the limit a 429', async () => {
    const limit = t.idp.services.config.rateLimit.accountFailures;
    const browser = new Browser(t.url);
    let page = await toPasswordPage(browser, '11223344'); // no such company
    const statuses: number[] = [];
    for (let i = 0; i <= limit; i++) {
      page = await browser.submit(page, { password: `WRONG${i}` });
      statuses.push(page.status);
      if (page.status === 429) break;
    }
    expect(statuses).toEqual([...Array(limit).fill(401), 429]);
    expect(page.alert).toMatch(/Too many failed attempts/);
  });
});

describe.skipIf(!realRedis)('the activation page\'s CSR endpoint', () => {
  it('refuses a malformed CSR, another subject, a weak key: nothing issued; then issues once', async () => {
    const browser = new Browser(t.url);
    const keys = await browser.submit(await toPasswordPage(browser, ACME, 'MARIO'), { password: 'PIPPO138' });
    const form = keys.doc.querySelector('#cert-keys')!;
    const subject = JSON.parse(form.getAttribute('data-subject')!) as { name: string; value: string }[];
    const csrf = csrfOf(keys);
    const post = (body: unknown, token = csrf) => browser.raw(`${t.url}/certificate/activate/csr`, {
      method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': token },
    });
    const count = async () => (await certs().ofAccount('O.12345678.MARIO')).length;
    const before = await count();
    const malformed = await post({ csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'certificate.csr_malformed' });
    expect((await post({ csr: makeCsr(rsaKey(), [{ name: 'commonName', value: '0'.repeat(23) }, ...subject.slice(1)]) })).status).toBe(400);
    expect((await post({ csr: makeCsr(rsaKey(1024), subject) })).status).toBe(400);
    expect((await post({ csr: 12 })).status).toBe(400);
    expect((await post({ csr: makeCsr(rsaKey(), subject) }, 'forged')).status).toBe(403);
    expect(await count()).toBe(before);
    const ok = await post({ csr: makeCsr(rsaKey(), subject) });
    expect(ok.status).toBe(200);
    expect(await count()).toBe(before + 1);
    expect((await post({ csr: makeCsr(rsaKey(), subject) })).status).toBe(409);
    expect(await count()).toBe(before + 1);
  });
});

describe.skipIf(!realRedis)('cert commands', () => {
  it('issue (password from standard input), list, status, revoke', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'idp-cert-')), 'mario.p12');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cert', 'issue', ACME, 'MARIO', '--out', out, '--json'], {
      env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: t.config.redisPrefix, ...cliEnv() }, encoding: 'utf8', input: 'Counter-Pass-1\n',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('Counter-Pass-1');
    const issued = JSON.parse(run.stdout) as { serial: string; identifier: string; state: string };
    expect(issued.state).toBe('active');
    expect(openPkcs12(readFileSync(out), 'Counter-Pass-1').certs[0]!.serialNumber.toUpperCase()).toBe(issued.serial);

    const list = JSON.parse(await runCli(['cert', 'list', ACME, '--json'], t.config, t.idp.store)) as { serial: string }[];
    expect(list.map((c) => c.serial)).toContain(issued.serial);
    expect(JSON.parse(await runCli(['cert', 'status', issued.serial, '--json'], t.config, t.idp.store))).toMatchObject({ identifier: issued.identifier, state: 'active' });
    expect(JSON.parse(await runCli(['cert', 'revoke', issued.serial, '--reason', 'keyCompromise', '--json'], t.config, t.idp.store))).toMatchObject({ state: 'revoked', reason: 'keyCompromise', revoked_now: true });
    expect(await runCli(['cert', 'revoke', issued.serial, '--reason', 'superseded'], t.config, t.idp.store)).toMatch(/already revoked .* \(keyCompromise\)/);
    await expect(runCli(['cert', 'revoke', issued.serial, '--reason', 'whim'], t.config, t.idp.store)).rejects.toThrow(/--reason/);
    await expect(runCli(['cert', 'status', 'ZZZ'], t.config, t.idp.store)).rejects.toThrow(/no certificate/);
  });

  it('require: the company\'s users are taken to the certificate level even when less is asked', async () => {
    await runCli(['cert', 'require', ACME, 'on'], t.config, t.idp.store);
    const browser = new Browser(t.issuer);
    const rp = await relyingParty(t.issuer);
    const page = await enterCredentials(browser, await browser.go((await authorizationUrl(rp)).url), MARIO_OP);
    // No trusted proxy here: the certificate step refuses, and no password page was offered.
    expect(page.status).toBe(401);
    expect(page.alert).toMatch(/No certificate was presented/);
    expect((await t.idp.services.audit.query({ count: 1, filter: { event: 'login.acr' } }))[0]?.reason).toBe(`raised to ${LOA3}: required for this user`);
    await runCli(['cert', 'require', ACME, 'off'], t.config, t.idp.store);
    const free = await enterCredentials(new Browser(t.issuer), await new Browser(t.issuer).go((await authorizationUrl(rp)).url), MARIO_OP);
    expect(free.status).not.toBe(401);
  });
});

describe.skipIf(!realRedis)('certificate lists', () => {
  async function admin(code: string, password: string, next: string): Promise<Browser> {
    const browser = new Browser(t.issuer);
    const page = await enterCredentials(browser, await browser.go(`${t.url}/account`), { company_code: code, password });
    await browser.submit(page, { new_password: next, new_password_confirm: next });
    return browser;
  }

  it('the company administrator revokes and removes the company\'s certificates; another company\'s administrator cannot', async () => {
    const acme = await admin(ACME, '0123456789', 'AcmeAdm01');
    const cert = await issueFor(t, 'O.12345678.MARIO');
    const list = await acme.go(`${t.url}/account/company/${ACME}/certificates`);
    expect(list.doc.querySelector(`tr[data-serial="${cert.record.serial}"]`)?.getAttribute('data-state')).toBe('active');
    const csrf = csrfOf(list);
    const removeValid = await postTo(acme, `${t.url}/account/company/${ACME}/certificates/${cert.record.serial}/remove`, { csrf });
    expect(removeValid.status).toBe(409);
    const noReason = await postTo(acme, `${t.url}/account/company/${ACME}/certificates/${cert.record.serial}/revoke`, { csrf, reason: 'whim' });
    expect(noReason.status).toBe(400);

    const beta = await admin(BETA, '9876543210', 'BetaAdm01');
    const betaCsrf = csrfOf(await beta.go(`${t.url}/account/password/administrator`));
    const foreign = await postTo(beta, `${t.url}/account/company/${BETA}/certificates/${cert.record.serial}/revoke`, { csrf: betaCsrf, reason: 'keyCompromise' });
    expect(foreign.status).toBe(403);
    expect((await t.idp.services.audit.query({ count: 1, filter: { event: 'access.denied' } }))[0]?.reason).toBe('certificate of another company');
    expect((await certs().get(cert.record.serial))?.revokedAt).toBeUndefined();
    expect((await beta.go(`${t.url}/account/company/${ACME}/certificates`)).status).toBe(403);

    // A revocation cannot be undone: first the "are you sure?" page, nothing changed; then confirmed.
    const asked = await postTo(acme, `${t.url}/account/company/${ACME}/certificates/${cert.record.serial}/revoke`, { csrf, reason: 'affiliationChanged' });
    expect(asked.status).toBe(200);
    expect(asked.doc.querySelector('input[name=confirm]')?.getAttribute('value')).toBe('1');
    expect(asked.doc.querySelector('input[name=reason]')?.getAttribute('value')).toBe('affiliationChanged');
    expect(asked.doc.querySelector(`a[href="/account/company/${ACME}/certificates"]`)).not.toBeNull();
    expect((await certs().get(cert.record.serial))?.revokedAt).toBeUndefined();
    const revoked = await postTo(acme, `${t.url}/account/company/${ACME}/certificates/${cert.record.serial}/revoke`, { csrf, reason: 'affiliationChanged', confirm: '1' });
    expect(revoked.status).toBe(200);
    expect(revoked.doc.querySelector(`tr[data-serial="${cert.record.serial}"]`)?.getAttribute('data-state')).toBe('revoked');
    expect(await certs().get(cert.record.serial)).toMatchObject({ reason: 'affiliationChanged' });
    const removed = await postTo(acme, `${t.url}/account/company/${ACME}/certificates/${cert.record.serial}/remove`, { csrf });
    expect(removed.doc.querySelector(`tr[data-serial="${cert.record.serial}"]`)).toBeNull();
  });

  it('the back office sees any company\'s and revokes; an operator gets a 403', async () => {
    const cert = await issueFor(t, 'O.12345678.MARIO');
    const staff = new Browser(t.issuer);
    await enterCredentials(staff, await staff.go(`${t.url}/backoffice/certificates`), STAFF);
    const list = await staff.go(`${t.url}/backoffice/certificates?company=${ACME}`);
    expect(list.doc.querySelector(`tr[data-serial="${cert.record.serial}"]`)).not.toBeNull();
    const asked = await postTo(staff, `${t.url}/backoffice/certificates/${cert.record.serial}/revoke`, { csrf: csrfOf(list), reason: 'keyCompromise' });
    expect(asked.doc.querySelector('input[name=confirm]')).not.toBeNull();
    expect((await certs().get(cert.record.serial))?.revokedAt).toBeUndefined();
    const done = await postTo(staff, `${t.url}/backoffice/certificates/${cert.record.serial}/revoke`, { csrf: csrfOf(list), reason: 'keyCompromise', confirm: '1' });
    expect(done.status).toBe(200);
    expect(await certs().get(cert.record.serial)).toMatchObject({ reason: 'keyCompromise' });

    const required = await postTo(staff, `${t.url}/backoffice/certificates/require`, { csrf: csrfOf(list), company: ACME, required: '1' });
    expect(required.doc.querySelector('#require-certificate input[name=required]')?.getAttribute('value')).toBe('0');
    expect(await t.idp.services.redis.sismember('pki:require-certificate', ACME)).toBe(1);
    await postTo(staff, `${t.url}/backoffice/certificates/require`, { csrf: csrfOf(list), company: ACME, required: '0' });
    expect(await t.idp.services.redis.sismember('pki:require-certificate', ACME)).toBe(0);
    expect((await postTo(staff, `${t.url}/backoffice/certificates/require`, { csrf: csrfOf(list), company: 'x', required: '1' })).status).toBe(400);

    const op = new Browser(t.issuer);
    await enterCredentials(op, await op.go(`${t.url}/account`), MARIO_OP);
    expect((await op.go(`${t.url}/backoffice/certificates`)).status).toBe(403);
  });
});

/** The test CA for the command's own process. */
function cliEnv(): Record<string, string> {
  const m = (certificateOverrides().methods as { certificate: Record<string, string> }).certificate;
  return { CA_CERT_FILE: m.caCertFile!, CA_KEY_FILE: m.caKeyFile!, CA_KEY_PASSPHRASE: m.caKeyPassphrase!, MTLS_MODE: 'proxy', ISSUER: t.issuer };
}

describe.skipIf(!realRedis)('bad requests to the certificate routes', () => {
  it('answers garbage with a 4xx page or error, never a 5xx', async () => {
    const browser = new Browser(t.issuer);
    const ours = t.idp.routes.filter((r) => /^\/(pki|certificate)|certificates/.test(r.path));
    expect(ours.length).toBeGreaterThan(8);
    const problems: string[] = [];
    for (const { method, path: p } of ours) {
      for (const value of ['x', '%00', 'A'.repeat(300), '..%2F..%2Fetc']) {
        const url = `${t.url}${p.replace(/:[A-Za-z_]+/g, value)}?state=${value}`;
        const bodies = method === 'GET' ? [undefined] : ['csrf=x&csr=y', '{"csrf":"x","csr":', 'a'.repeat(70_000)];
        for (const body of bodies) {
          const res = await browser.raw(url, { method, body, headers: body?.startsWith('{') ? { 'content-type': 'application/json' } : { 'content-type': 'application/x-www-form-urlencoded' } });
          if (res.status >= 500) problems.push(`${method} ${p} ${value.slice(0, 10)} → ${res.status}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('a CRL request storm gets 429s, and the CRL is not rebuilt for each request', async () => {
    const first = await fetch(`${t.url}/pki/crl`);
    expect(first.status).toBe(200);
    const number = await t.idp.services.redis.hget('pki:crl', 'number');
    const statuses = await Promise.all(Array.from({ length: 130 }, () => fetch(`${t.url}/pki/crl`).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(await t.idp.services.redis.hget('pki:crl', 'number')).toBe(number);
  });
});

describe.skipIf(!realRedis)('one CA for the deployment', () => {
  it('two processes starting together on one Redis make and use the same CA, its key encrypted at rest', async () => {
    const prefix = `${t.config.redisPrefix}ca2:`;
    const [a, b] = await Promise.all([0, 1].map(() => startIdp({ data: null, overrides: { redisPrefix: prefix, methods: { certificate: { mode: 'proxy' } } } })));
    try {
      const pemA = await (await fetch(`${a!.url}/pki/ca.pem`)).text();
      const pemB = await (await fetch(`${b!.url}/pki/ca.pem`)).text();
      expect(pemA).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(pemB).toBe(pemA);
      const stored = JSON.parse((await a!.idp.services.redis.hget('pki:ca', 'material'))!) as { keyPem: string };
      expect(stored.keyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    } finally {
      await Promise.all([a?.close(), b?.close()]);
    }
  });

  it('refuses to start in production without CA_KEY_PASSPHRASE when certificate login is on', async () => {
    await expect(startIdp({ data: null, overrides: { production: true, dataKey: 'a'.repeat(64), methods: { certificate: { mode: 'proxy' } } } })).rejects.toThrow(/CA_KEY_PASSPHRASE .*required in production/);
  });
});
