// Our own certification authority. Its certificate and key come from CA_CERT_FILE / CA_KEY_FILE, or
// are made at first start and kept in Redis (one HSETNX: every process of the deployment ends up
// with the same CA). The key is an encrypted PKCS#8 PEM under CA_KEY_PASSPHRASE wherever it rests.
// node-forge builds the certificates; Node's crypto holds the key and makes the RSA signatures.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { DAY_MS } from '../../src/clock.ts';
import type { Services } from '../../src/services.ts';
import { certKeys } from './keys.ts';
import { certificateSettings } from './settings.ts';

export class CaError extends Error {}

export interface Ca {
  pem: string;
  cert: X509Certificate;
  /** The same certificate as node-forge reads it (its subject is the issuer of what we sign). */
  forgeCert: forge.pki.Certificate;
  key: KeyObject;
  /** Subject key identifier (bytes, forge's binary string), for the authority key identifier. */
  keyId: string;
}

export const CA_KEY_BITS = 3072;
const CA_YEARS = 10;
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The passphrase of the CA key: CA_KEY_PASSPHRASE, or (outside production) one derived from DATA_KEY. */
export function caPassphrase(s: Services): string {
  const own = certificateSettings.of(s.config).caKeyPassphrase;
  if (own) return own;
  if (s.config.production) throw new CaError('invalid setting CA_KEY_PASSPHRASE (methods.certificate.caKeyPassphrase): required in production');
  return s.sealer.mac('ca-key', 'ca-key-passphrase');
}

/** A certificate serial: 16 random bytes, positive and without a leading zero (as upper-case hex). */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b.toString('hex').toUpperCase();
}

/** Signs a forge certificate with a Node key (forge makes the TBSCertificate, Node the RSA signature). */
export function signCertificate(cert: forge.pki.Certificate, key: KeyObject): void {
  const signer = {
    sign: () => {
      const tbs = (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate;
      return sign('sha256', Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary'), key).toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

export function forgePublicKey(key: KeyObject): forge.pki.PublicKey {
  return forge.pki.publicKeyFromPem(createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString());
}

export function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function material(certPem: string, keyPem: string, passphrase: string): Ca {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem', passphrase });
  } catch {
    throw new CaError('the CA key does not open with CA_KEY_PASSPHRASE');
  }
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(key)) throw new CaError('the CA key does not belong to the CA certificate');
  if (!cert.ca) throw new CaError('the CA certificate is not a CA certificate (basicConstraints cA)');
  const forgeCert = forge.pki.certificateFromPem(certPem);
  return { pem: cert.toString(), cert, forgeCert, key, keyId: forgeCert.generateSubjectKeyIdentifier().getBytes() };
}

/** A new CA (self-signed, RSA 3072, 10 years); returns the certificate and the encrypted key. */
export function createCa(name: string, passphrase: string, now: number): { certPem: string; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: CA_KEY_BITS });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(privateKey);
  cert.serialNumber = newSerial();
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + CA_YEARS * 365 * DAY_MS);
  const subject = [{ name: 'commonName', value: name }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, privateKey);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
  return { certPem: toPem(cert), keyPem };
}

const loaded = new WeakMap<Services, Promise<Ca>>();

/** The deployment's CA (made on first use when there is none; read once per process). */
export function caOf(s: Services): Promise<Ca> {
  let ca = loaded.get(s);
  if (!ca) {
    ca = loadCa(s);
    loaded.set(s, ca);
    ca.catch(() => loaded.delete(s));
  }
  return ca;
}

async function loadCa(s: Services): Promise<Ca> {
  const settings = certificateSettings.of(s.config);
  const passphrase = caPassphrase(s);
  if (settings.caCertFile && settings.caKeyFile) {
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readFileSync(settings.caCertFile, 'utf8');
      keyPem = readFileSync(settings.caKeyFile, 'utf8');
    } catch (err) {
      throw new CaError(`cannot read CA_CERT_FILE / CA_KEY_FILE: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return material(certPem, keyPem, passphrase);
  }
  let stored = await s.redis.hget(certKeys.ca, 'material');
  if (!stored) {
    const made = createCa(settings.caName, passphrase, s.clock.now());
    // Two processes starting together: the first one's CA is everybody's.
    await s.redis.hsetnx(certKeys.ca, 'material', JSON.stringify(made));
    stored = await s.redis.hget(certKeys.ca, 'material');
    if (stored === JSON.stringify(made)) s.log.info('certificate: created the CA (kept in Redis, key encrypted)');
  }
  const { certPem, keyPem } = JSON.parse(stored!) as { certPem: string; keyPem: string };
  return material(certPem, keyPem, passphrase);
}

/** Further trust anchors (CERT_EXTRA_ANCHORS: e.g. the smart-card CA), read once per process. */
const anchorsRead = new WeakMap<object, X509Certificate[]>();
export function extraAnchors(s: Services): X509Certificate[] {
  const file = certificateSettings.of(s.config).extraAnchorsFile;
  if (!file) return [];
  let anchors = anchorsRead.get(s.config);
  if (!anchors) {
    const text = readFileSync(file, 'utf8');
    anchors = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
    anchorsRead.set(s.config, anchors);
  }
  return anchors;
}

export interface IssueRequest {
  publicKey: forge.pki.PublicKey;
  subject: forge.pki.CertificateField[];
  serial: string;
  notBefore: number;
  notAfter: number;
  usage: 'client' | 'server';
  crlUrl?: string;
  /** Server certificates: DNS names and IP addresses. */
  dns?: string[];
  ips?: string[];
}

/** A certificate signed by the CA. */
export function signByCa(ca: Ca, req: IssueRequest): { pem: string; x509: X509Certificate } {
  const cert = forge.pki.createCertificate();
  cert.publicKey = req.publicKey;
  cert.serialNumber = req.serial;
  cert.validity.notBefore = new Date(req.notBefore);
  cert.validity.notAfter = new Date(req.notAfter);
  cert.setSubject(req.subject);
  cert.setIssuer(ca.forgeCert.subject.attributes);
  const extensions: Record<string, unknown>[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    req.usage === 'client'
      ? { name: 'keyUsage', digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    req.usage === 'client' ? { name: 'extKeyUsage', clientAuth: true } : { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.keyId },
  ];
  if (req.crlUrl) extensions.push({ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: req.crlUrl }] });
  const alt = [...(req.dns ?? []).map((value) => ({ type: 2, value })), ...(req.ips ?? []).map((ip) => ({ type: 7, ip }))];
  if (alt.length) extensions.push({ name: 'subjectAltName', altNames: alt });
  cert.setExtensions(extensions);
  signCertificate(cert, ca.key);
  const pem = toPem(cert);
  return { pem, x509: new X509Certificate(pem) };
}
