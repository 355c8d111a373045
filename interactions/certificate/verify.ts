// Is a presented client certificate good for logging in? Node's X509Certificate does the checks:
// issued and signed by our CA or by a configured further anchor (the smart-card CA), within its
// dates, meant for client authentication, and (ours) on record and not revoked. Whose it is comes
// after (belongsTo): our certificates by their record, a smart card by the fiscal code in its subject.
import type { X509Certificate } from 'node:crypto';
import type { LoginName } from '../../src/accounts/accounts.ts';
import type { Services } from '../../src/services.ts';
import { caOf, CLIENT_AUTH, extraAnchors, type Ca } from './ca.ts';
import { certificatesOf, type CertRecord } from './certificates.ts';

export type Refusal = 'none' | 'malformed' | 'foreign' | 'expired' | 'not_yet_valid' | 'revoked' | 'usage' | 'unknown' | 'wrong_account';

export type Verdict =
  | { ok: true; kind: 'own'; cert: X509Certificate; record: CertRecord }
  | { ok: true; kind: 'anchor'; cert: X509Certificate }
  | { ok: false; reason: Refusal; cert?: X509Certificate; record?: CertRecord };

/** amr of a login with this certificate (RFC 8176): a key the browser holds, or a smart card. */
export const amrOf = (v: Extract<Verdict, { ok: true }>): string[] => (v.kind === 'own' ? ['swk'] : ['sc', 'hwk']);

const issuedBy = (cert: X509Certificate, anchor: X509Certificate) => {
  try {
    return cert.checkIssued(anchor) && cert.verify(anchor.publicKey);
  } catch {
    return false;
  }
};

/** The checks that need no Redis (for oidc-provider's synchronous hooks too). */
export function checkChain(ca: Ca, anchors: X509Certificate[], cert: X509Certificate, now: number): { ok: true; kind: 'own' | 'anchor' } | { ok: false; reason: Refusal } {
  const kind = issuedBy(cert, ca.cert) ? 'own' : anchors.some((a) => issuedBy(cert, a)) ? 'anchor' : undefined;
  if (!kind) return { ok: false, reason: 'foreign' };
  if (now < Date.parse(cert.validFrom)) return { ok: false, reason: 'not_yet_valid' };
  if (now > Date.parse(cert.validTo)) return { ok: false, reason: 'expired' };
  // No extended key usage means any; one that is there must allow client authentication.
  const eku = cert.keyUsage;
  if (cert.ca || (eku && !eku.includes(CLIENT_AUTH))) return { ok: false, reason: 'usage' };
  return { ok: true, kind };
}

export async function verifyCertificate(s: Services, cert: X509Certificate): Promise<Verdict> {
  const ca = await caOf(s);
  const chain = checkChain(ca, extraAnchors(s), cert, s.clock.now());
  if (!chain.ok) return { ok: false, reason: chain.reason, cert };
  if (chain.kind === 'anchor') return { ok: true, kind: 'anchor', cert };
  const record = await certificatesOf(s).get(cert.serialNumber.toUpperCase());
  // Signed by our CA but not the one on record under that serial: refused (never happens unless the key leaked).
  if (!record || record.fingerprint !== cert.fingerprint256.replace(/:/g, '').toLowerCase()) return { ok: false, reason: 'unknown', cert };
  if (record.revokedAt !== undefined) return { ok: false, reason: 'revoked', cert, record };
  return { ok: true, kind: 'own', cert, record };
}

/** The fiscal code a smart-card certificate names: subject serialNumber "TINIT-<code>", or a CN that starts with it. */
function fiscalCodeIn(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    const [k, v = ''] = line.split(/=(.*)/s);
    const m = k === 'serialNumber' ? /^(?:TINIT-)?([A-Z0-9]{16})$/.exec(v.toUpperCase()) : k === 'CN' ? /^([A-Z0-9]{16})\b/.exec(v.toUpperCase()) : null;
    if (m) return m[1];
  }
  return undefined;
}

/** True when the certificate is for the account the user said they are. */
export function belongsTo(v: Extract<Verdict, { ok: true }>, accountId: string, name: LoginName | undefined): boolean {
  if (v.kind === 'own') return v.record.accountId === accountId;
  return name?.type === 'citizen' && fiscalCodeIn(v.cert) === name.fiscalCode;
}
