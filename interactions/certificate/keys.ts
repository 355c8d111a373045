// Client certificates' Redis keys (rows of the one key table, see src/store/keys.ts).
import type { KeyDoc } from '../../src/methods/method.ts';

export const certKeys = {
  ca: 'pki:ca',
  crl: 'pki:crl',
  crlLock: 'pki:crl-lock',
  crlNumber: 'pki:crl-number',
  all: 'pki:certs',
  revoked: 'pki:revoked',
  requireCertificate: 'pki:require-certificate',
  cert: (serial: string) => `cert:{${serial}}`,
  ofAccount: (id: string) => `acct:{${id}}:certs`,
  ofCompany: (code: string) => `company:{${code}}:certs`,
  sequence: (code: string) => `company:{${code}}:cert-seq`,
  activation: (id: string) => `cert-activation:{${id}}`,
  presented: (state: string) => `cert-presented:{${state}}`,
  download: (ticket: string) => `cert-dl:{${ticket}}`,
};

export const CERT_KEYS: KeyDoc[] = [
  { key: 'pki:ca', type: 'hash', ttl: 'none', what: 'the CA made at first start: certificate, private key encrypted under CA_KEY_PASSPHRASE' },
  { key: 'pki:crl', type: 'hash', ttl: 'none', what: 'the current CRL (DER), its number and dates' },
  { key: 'pki:crl-lock, pki:crl-number', type: 'string', ttl: '30 seconds, none', what: 'one process regenerates the CRL at a time; the CRL number' },
  { key: 'pki:certs, pki:revoked', type: 'zset', ttl: 'none', what: 'every issued certificate by issue time; revoked ones by revocation time' },
  { key: 'pki:require-certificate', type: 'set', ttl: 'none', what: 'companies whose administrator and operators must log in with a certificate' },
  { key: 'cert:{SERIAL}', type: 'hash', ttl: 'none', what: 'an issued certificate: identifier, subject, account, dates, revocation, fingerprint' },
  { key: 'acct:{ID}:certs, company:{CODE}:certs', type: 'zset', ttl: 'none', what: 'an account\'s / a company\'s certificates by issue time' },
  { key: 'company:{CODE}:cert-seq', type: 'string', ttl: 'none', what: 'the 5-digit sequence of the company\'s certificate identifiers' },
  { key: 'cert-activation:{ID}', type: 'string', ttl: '15 minutes', what: 'an activation in progress (cookie-bound): account, identifier to issue' },
  { key: 'cert-presented:{STATE}', type: 'string', ttl: '5 minutes', what: 'direct mode: the certificate the HTTPS listener received, for the login that sent the browser there' },
  { key: 'cert-dl:{TICKET}', type: 'string', ttl: '10 minutes', what: 'a server-made PKCS#12 (sealed), downloaded once' },
];
