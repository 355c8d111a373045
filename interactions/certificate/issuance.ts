// Issuing from a browser's CSR (activation and renewal), and what the key-generation page needs. The
// key pair is made in the browser (WebCrypto); the server only sees the CSR. A one-time ticket hands
// over a PKCS#12 made by the server when the browser cannot make keys (no WebCrypto, no script).
import { randomBytes } from 'node:crypto';
import type { Services } from '../../src/services.ts';
import { caOf } from './ca.ts';
import { CertError, certificatesOf, subjectFor, type CertRecord, type Holder } from './certificates.ts';
import { readCsr } from './csr.ts';
import { certKeys } from './keys.ts';
import { P12_MIN_PASSWORD } from './pkcs12.ts';

export const DOWNLOAD_TTL_SECONDS = 600;

export async function issueFromCsr(s: Services, input: { holder: Holder; identifier: string; csr: unknown; replaces?: string; actor: string; ip?: string }): Promise<CertRecord> {
  const read = readCsr(input.csr, subjectFor(input.holder, input.identifier));
  if (!read.ok) throw new CertError(`certificate.${read.problem}`);
  const certs = certificatesOf(s);
  if (await certs.keyKnown(input.holder.id, read.keyFingerprint)) throw new CertError('certificate.csr_key_reused');
  return certs.issue({
    holder: input.holder, identifier: input.identifier, publicKey: read.publicKey, keyFingerprint: read.keyFingerprint,
    via: 'browser', replaces: input.replaces, actor: input.actor, ip: input.ip,
  });
}

/** The JSON answer to the page script: the certificate and the CA, to put in the PKCS#12 with the key. */
export async function issuedJson(s: Services, record: CertRecord) {
  const ca = await caOf(s);
  return { certificate: record.pem, ca: ca.pem, identifier: record.identifier, serial: record.serial, not_after: new Date(record.notAfter).toISOString() };
}

/** Data of the key-generation form (interactions/certificate/keys-form.eta). */
export function keysForm(holder: Holder, identifier: string, csrUrl: string) {
  return { identifier, subject: JSON.stringify(subjectFor(holder, identifier)), csrUrl, minPassword: P12_MIN_PASSWORD };
}

/** Keeps a server-made PKCS#12 (sealed) for one download within 10 minutes. */
export async function downloadTicket(s: Services, p12: Buffer, name: string): Promise<string> {
  const ticket = randomBytes(24).toString('base64url');
  await s.redis.set(certKeys.download(ticket), s.sealer.seal(JSON.stringify({ name, p12: p12.toString('base64') }), `cert-dl:${ticket}`), 'EX', DOWNLOAD_TTL_SECONDS);
  return ticket;
}

export async function redeemTicket(s: Services, ticket: string): Promise<{ name: string; p12: Buffer } | undefined> {
  if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return undefined;
  const sealed = await s.redis.getdel(certKeys.download(ticket));
  if (!sealed) return undefined;
  const { name, p12 } = JSON.parse(s.sealer.openText(sealed, `cert-dl:${ticket}`)) as { name: string; p12: string };
  return { name, p12: Buffer.from(p12, 'base64') };
}
