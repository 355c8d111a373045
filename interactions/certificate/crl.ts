// The certificate revocation list (RFC 5280 section 5), DER, signed by the CA. node-forge has no CRL
// object, so the structure is put together from its ASN.1 builder (forge.asn1.create, the same calls
// forge's own certificate code makes) and its name encoder; Node's crypto signs it.
import { sign } from 'node:crypto';
import forge from 'node-forge';
import type { Ca } from './ca.ts';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

/** RFC 5280 CRLReason codes (by the names the CLI takes). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const isRevocationReason = (r: string): r is RevocationReason => Object.hasOwn(REVOCATION_REASONS, r);

export interface RevokedEntry { serial: string; revokedAt: number; reason: RevocationReason }

const oid = (o: string) => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const integer = (hex: string) => asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(hex.length % 2 ? `0${hex}` : hex));
const smallInt = (n: number) => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());
/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
const time = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
};
const extension = (id: string, value: forge.asn1.Asn1) =>
  asn1.create(U, T.SEQUENCE, true, [oid(id), asn1.create(U, T.OCTETSTRING, false, asn1.toDer(value).getBytes())]);
const sha256WithRsa = () => asn1.create(U, T.SEQUENCE, true, [oid(forge.pki.oids.sha256WithRSAEncryption!), asn1.create(U, T.NULL, false, '')]);

export function buildCrl(ca: Ca, entries: RevokedEntry[], opts: { number: number; thisUpdate: number; nextUpdate: number }): Buffer {
  const revoked = entries.map((e) => asn1.create(U, T.SEQUENCE, true, [
    integer(e.serial),
    time(e.revokedAt),
    asn1.create(U, T.SEQUENCE, true, [
      // reasonCode
      extension('2.5.29.21', asn1.create(U, T.ENUMERATED, false, String.fromCharCode(REVOCATION_REASONS[e.reason]))),
    ]),
  ]));
  const tbs = asn1.create(U, T.SEQUENCE, true, [
    smallInt(1), // v2
    sha256WithRsa(),
    forge.pki.distinguishedNameToAsn1(ca.forgeCert.subject),
    time(opts.thisUpdate),
    time(opts.nextUpdate),
    ...(revoked.length ? [asn1.create(U, T.SEQUENCE, true, revoked)] : []),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(U, T.SEQUENCE, true, [
        // authorityKeyIdentifier: [0] keyIdentifier
        extension('2.5.29.35', asn1.create(U, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, ca.keyId)])),
        // cRLNumber
        extension('2.5.29.20', smallInt(opts.number)),
      ]),
    ]),
  ]);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, ca.key);
  const crl = asn1.create(U, T.SEQUENCE, true, [
    tbs,
    sha256WithRsa(),
    asn1.create(U, T.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary')),
  ]);
  return Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
}
