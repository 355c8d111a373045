// The CA's pieces on their own: certificates that chain to it (checked by Node and by OpenSSL), the
// CRL (OpenSSL verifies its signature and reads its entries), PKCS#12 files that open with their
// password only, CSRs and certificate headers that are refused for what is wrong with them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createSecureContext } from 'node:tls';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import forge from 'node-forge';
import { forgePublicKey, newSerial, signByCa } from '../../interactions/certificate/ca.ts';
import { buildCrl } from '../../interactions/certificate/crl.ts';
import { readCsr } from '../../interactions/certificate/csr.ts';
import { makePkcs12, openPkcs12 } from '../../interactions/certificate/pkcs12.ts';
import { fromHeader } from '../../interactions/certificate/source.ts';
import { checkChain } from '../../interactions/certificate/verify.ts';
import { DAY_MS } from '../../src/clock.ts';
import { makeCsr, rsaKey, testCa, testCaFiles } from '../helpers/certificate.ts';

const OPENSSL = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
const ca = testCa();
const files = testCaFiles();
const key = rsaKey();
const now = Date.now();
const SUBJECT = [
  { name: 'commonName', value: '00000123450000120260101' },
  { name: 'organizationalUnitName', value: '12345678' },
  { name: 'serialNumber', value: 'O.12345678.MARIO' },
];

function clientCert(opts: { notBefore?: number; notAfter?: number; usage?: 'client' | 'server'; serial?: string } = {}) {
  return signByCa(ca, {
    publicKey: forgePublicKey(key.privateKey), subject: SUBJECT, serial: opts.serial ?? newSerial(),
    notBefore: opts.notBefore ?? now - 60_000, notAfter: opts.notAfter ?? now + 365 * DAY_MS, usage: opts.usage ?? 'client',
    crlUrl: 'http://127.0.0.1:3000/pki/crl',
  });
}

const written: string[] = [];
function tmp(name: string, data: string | Buffer): string {
  const file = path.join(files.dir, `${process.pid}-${name}`);
  writeFileSync(file, data);
  written.push(file);
  return file;
}
afterAll(() => { for (const f of written) rmSync(f, { force: true }); });

describe('certificates from our CA', () => {
  it('chain to the CA, for client authentication, with the CRL named', () => {
    const { x509, pem } = clientCert();
    expect(x509.checkIssued(ca.cert)).toBe(true);
    expect(x509.verify(ca.cert.publicKey)).toBe(true);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x509.subject).toContain('CN=00000123450000120260101');
    expect(checkChain(ca, [], x509, now)).toEqual({ ok: true, kind: 'own' });
    if (OPENSSL) {
      expect(execFileSync('openssl', ['verify', '-CAfile', files.certFile, '-purpose', 'sslclient', tmp('leaf.pem', pem)]).toString()).toMatch(/OK/);
      expect(execFileSync('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints', '-in', tmp('leaf.pem', pem)]).toString()).toContain('URI:http://127.0.0.1:3000/pki/crl');
    }
  });

  it('are refused when expired, not yet valid, for servers, or from another CA', () => {
    expect(checkChain(ca, [], clientCert({ notAfter: now - 1000 }).x509, now)).toMatchObject({ ok: false, reason: 'expired' });
    expect(checkChain(ca, [], clientCert({ notBefore: now + DAY_MS }).x509, now)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(checkChain(ca, [], clientCert({ usage: 'server' }).x509, now)).toMatchObject({ ok: false, reason: 'usage' });
    // A certificate our CA did not sign (the CA itself signs as a foreign CA would: self-issued names differ).
    const other = forge.pki.createCertificate();
    other.publicKey = forgePublicKey(key.privateKey);
    other.serialNumber = newSerial();
    other.validity.notBefore = new Date(now - 60_000);
    other.validity.notAfter = new Date(now + DAY_MS);
    other.setSubject([{ name: 'commonName', value: 'someone' }]);
    other.setIssuer([{ name: 'commonName', value: 'Test Client CA' }]);
    other.sign(key.forgeKey, forge.md.sha256.create());
    const forged = fromHeader(forge.pki.certificateToPem(other));
    expect(forged.status).toBe('ok');
    if (forged.status === 'ok') expect(checkChain(ca, [], forged.cert, now)).toMatchObject({ ok: false, reason: 'foreign' });
  });
});

describe('the CRL', () => {
  it('is signed by the CA and lists each revoked certificate with its reason', () => {
    const a = newSerial();
    const b = newSerial();
    const der = buildCrl(ca, [{ serial: a, revokedAt: now - 1000, reason: 'keyCompromise' }, { serial: b, revokedAt: now, reason: 'superseded' }], { number: 7, thisUpdate: now, nextUpdate: now + 2 * DAY_MS });
    // forge reads it back as one ASN.1 structure whose tbsCertList carries the two entries.
    const parsed = forge.asn1.fromDer(der.toString('binary'), true);
    expect(forge.asn1.toDer(parsed).getBytes()).toBe(der.toString('binary'));
    if (!OPENSSL) return;
    const out = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', tmp('crl.der', der), '-CAfile', files.certFile, '-noout', '-text'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(out).toContain(`Serial Number: ${a}`);
    expect(out).toContain(`Serial Number: ${b}`);
    expect(out).toMatch(/Key Compromise/);
    expect(out).toMatch(/Superseded/);
    expect(out).toMatch(/X509v3 CRL Number:\s+7/);
    expect(out).toMatch(/Issuer: CN = Test Client CA/);
    // The signature: OpenSSL says so on stderr.
    const verify = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', tmp('crl.der', der), '-CAfile', files.certFile, '-noout']);
    expect(verify.stderr.toString()).toMatch(/verify OK/);
  });

  it('can be empty', () => {
    const der = buildCrl(ca, [], { number: 1, thisUpdate: now, nextUpdate: now + DAY_MS });
    if (!OPENSSL) return;
    const verify = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', tmp('empty.der', der), '-CAfile', files.certFile, '-noout', '-text']);
    expect(verify.stderr.toString()).toMatch(/verify OK/);
    expect(verify.stdout.toString()).toMatch(/No Revoked Certificates/);
  });
});

describe('PKCS#12', () => {
  it('opens with its password, holding the key, the certificate and the CA; OpenSSL reads it too', () => {
    const { pem } = clientCert();
    const p12 = makePkcs12(key.keyPem, pem, ca.pem, 'p12-Password', 'test');
    const opened = openPkcs12(p12, 'p12-Password');
    expect(opened.certs.map((c) => c.subject.getField('CN')?.value)).toEqual(['00000123450000120260101', 'Test Client CA']);
    expect(opened.key?.n.toString(16)).toBe(key.forgeKey.n.toString(16));
    expect(() => openPkcs12(p12, 'wrong-password')).toThrow();
    expect(() => createSecureContext({ pfx: p12, passphrase: 'p12-Password' })).not.toThrow();
  });
});

describe('CSRs', () => {
  it('a good one gives its key', () => {
    const r = readCsr(makeCsr(key, SUBJECT), SUBJECT);
    expect(r.ok).toBe(true);
  });

  it('refuses garbage, a truncated one, two in one, a weak or non-RSA key, a foreign signature, another subject', () => {
    const good = makeCsr(key, SUBJECT);
    expect(readCsr('hello', SUBJECT)).toEqual({ ok: false, problem: 'csr_malformed' });
    expect(readCsr(good.slice(0, 300), SUBJECT)).toEqual({ ok: false, problem: 'csr_malformed' });
    expect(readCsr(`${good.replace('-----END CERTIFICATE REQUEST-----', '')}AAAA\n-----END CERTIFICATE REQUEST-----\n`, SUBJECT)).toEqual({ ok: false, problem: 'csr_malformed' });
    expect(readCsr(good + good, SUBJECT)).toEqual({ ok: false, problem: 'csr_malformed' });
    expect(readCsr(42, SUBJECT)).toEqual({ ok: false, problem: 'csr_malformed' });
    expect(readCsr(makeCsr(rsaKey(1024), SUBJECT), SUBJECT)).toEqual({ ok: false, problem: 'csr_key_weak' });
    expect(readCsr(makeCsr(key, SUBJECT, rsaKey()), SUBJECT)).toEqual({ ok: false, problem: 'csr_signature' });
    expect(readCsr(makeCsr(key, [{ name: 'commonName', value: '99999999990000120260101' }, ...SUBJECT.slice(1)]), SUBJECT)).toEqual({ ok: false, problem: 'csr_subject' });
    if (OPENSSL) {
      for (const curve of ['prime256v1', 'secp256k1']) {
        const ecKey = tmp(`ec-${curve}.pem`, execFileSync('openssl', ['ecparam', '-name', curve, '-genkey', '-noout']));
        const csr = execFileSync('openssl', ['req', '-new', '-key', ecKey, '-subj', '/CN=00000123450000120260101/OU=12345678/serialNumber=O.12345678.MARIO']).toString();
        expect(readCsr(csr, SUBJECT)).toEqual({ ok: false, problem: 'csr_key_type' });
      }
    }
  });
});

describe('the certificate header (proxy mode)', () => {
  it('takes nginx\'s URL-encoded PEM, and refuses garbage, a truncated certificate and a chain', () => {
    const { pem } = clientCert();
    expect(fromHeader(encodeURIComponent(pem)).status).toBe('ok');
    expect(fromHeader(undefined)).toEqual({ status: 'none' });
    expect(fromHeader('garbage')).toMatchObject({ status: 'malformed' });
    expect(fromHeader('%E0%A4%A')).toMatchObject({ status: 'malformed' });
    expect(fromHeader(encodeURIComponent(pem.slice(0, 400)))).toMatchObject({ status: 'malformed' });
    const cut = pem.replace(/\n([A-Za-z0-9+/]{64}\n){3}/, '\n');
    expect(fromHeader(encodeURIComponent(cut))).toMatchObject({ status: 'malformed' });
    expect(fromHeader(encodeURIComponent(pem + ca.pem))).toMatchObject({ status: 'malformed', why: 'a chain, not one certificate' });
    expect(fromHeader(['a', 'b'])).toMatchObject({ status: 'malformed' });
  });
});
