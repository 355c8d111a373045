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
import { createCa, forgePublicKey, type Ca } from '../../interactions/certificate/ca.ts';
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
        ...(url.protocol === 'https:' ? { key: client.key, cert: client.cert, rejectUnauthorized: false, servername: undefined } : {}),
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
