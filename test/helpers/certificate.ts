// Client certificates in tests: one test CA for the whole run (made once, kept as files in the temp
// directory and passed as CA_CERT_FILE / CA_KEY_FILE), key pairs and CSRs as a browser would make
// them, PKCS#12 files, and HTTPS requests that present a client certificate or leave from another
// loopback address.
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { createCa, forgePublicKey, newSerial, signByCa, signCertificate, toPem, type Ca } from '../../interactions/certificate/ca.ts';
import type { SubjectSpec } from '../../interactions/certificate/csr.ts';

export const CA_PASSPHRASE = 'test-ca-passphrase-0123';

export interface CaFiles { certFile: string; keyFile: string; passphrase: string; dir: string }

/** The run's test CA (made by the first test file that asks; the others read it). */
export function testCaFiles(): CaFiles {
  const dir = path.join(os.tmpdir(), 'idp-test-ca-v1');
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true });
    const made = createCa('Test Client CA', CA_PASSPHRASE, Date.now());
    // Written under unique names, then renamed: a file running at the same time reads a whole one.
    const tmp = `.${process.pid}-${Date.now()}`;
    writeFileSync(keyFile + tmp, made.keyPem, { mode: 0o600 });
    writeFileSync(certFile + tmp, made.certPem);
    renameSync(keyFile + tmp, keyFile);
    renameSync(certFile + tmp, certFile);
  }
  return { certFile, keyFile, passphrase: CA_PASSPHRASE, dir };
}

/** Settings that use the test CA (for testConfig overrides: methods.certificate). */
export function certificateOverrides(more: Record<string, unknown> = {}): Record<string, unknown> {
  const ca = testCaFiles();
  return { methods: { certificate: { caCertFile: ca.certFile, caKeyFile: ca.keyFile, caKeyPassphrase: ca.passphrase, ...more } } };
}

/** The test CA as the module holds it (to sign test certificates directly). */
export function testCa(): Ca {
  const files = testCaFiles();
  const pem = readFileSync(files.certFile, 'utf8');
  const forgeCert = forge.pki.certificateFromPem(pem);
  return {
    pem, cert: new X509Certificate(pem), forgeCert,
    key: createPrivateKey({ key: readFileSync(files.keyFile, 'utf8'), passphrase: files.passphrase }),
    keyId: forgeCert.generateSubjectKeyIdentifier().getBytes(),
  };
}

/** Another CA (a smart-card CA, a relying party's CA), as a further trust anchor; its PEM in a file. */
export function makeAnchor(name: string): { ca: Ca; file: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(privateKey);
  cert.serialNumber = newSerial();
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 3650 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer([{ name: 'commonName', value: name }]);
  cert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }, { name: 'subjectKeyIdentifier' }]);
  signCertificate(cert, privateKey);
  const pem = toPem(cert);
  const file = path.join(testCaFiles().dir, `anchor-${process.pid}-${name.replace(/\W+/g, '-')}.pem`);
  writeFileSync(file, pem);
  return { ca: { pem, cert: new X509Certificate(pem), forgeCert: cert, key: privateKey, keyId: cert.generateSubjectKeyIdentifier().getBytes() }, file };
}

/** A client certificate from `ca` for a new key (not on our records: for anchors, or for refusals). */
export function clientCertFrom(ca: Ca, subject: { name: string; value: string }[], opts: { notBefore?: number; notAfter?: number } = {}): { certPem: string; keyPem: string; key: KeyPair } {
  const key = rsaKey();
  const { pem } = signByCa(ca, {
    publicKey: forgePublicKey(key.privateKey), subject, serial: newSerial(),
    notBefore: opts.notBefore ?? Date.now() - 60_000, notAfter: opts.notAfter ?? Date.now() + 800 * 86_400_000, usage: 'client',
  });
  return { certPem: pem, keyPem: key.keyPem, key };
}

export interface KeyPair { privateKey: KeyObject; keyPem: string; forgeKey: forge.pki.rsa.PrivateKey }

export function rsaKey(bits = 2048): KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { privateKey, keyPem, forgeKey: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey };
}

/** A CSR as the activation page makes it (node-forge, SHA-256). */
export function makeCsr(key: KeyPair, subject: SubjectSpec, signWith?: KeyPair): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forgePublicKey(key.privateKey);
  csr.setSubject(subject.map((a) => ({ name: a.name, value: a.value })));
  csr.sign((signWith ?? key).forgeKey, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

export interface TlsClient { key?: string; cert?: string; localAddress?: string }

/**
 * A fetch that can present a client certificate (https) and leave from a chosen loopback address;
 * never follows redirects (like the tests' Browser). Server certificates are not checked: the test
 * servers' are made by the test.
 */
export function tlsFetch(client: TlsClient): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => { headers[k] = v; });
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body instanceof URLSearchParams ? init.body.toString() : (init.body as string));
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const opts = {
        method: init.method ?? 'GET', headers, localAddress: client.localAddress,
        ...(url.protocol === 'https:' ? { key: client.key || undefined, cert: client.cert || undefined, rejectUnauthorized: false } : {}),
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode ?? 500;
          resolve(new Response([204, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}
