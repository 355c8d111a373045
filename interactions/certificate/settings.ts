// Client certificates' settings (config methods.certificate): how the certificate reaches us (the
// mode), the CA, the certificates' validity and the renewal windows.
import { z } from 'zod';
import { defineSettings, int, list, str } from '../../src/settings.ts';
import { parseCidr } from './trusted-proxies.ts';

const MTLS_MODES = ['off', 'direct', 'proxy'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export const certificateSettings = defineSettings({
  id: 'certificate',
  schema: z.object({
    mode: z.enum(MTLS_MODES),
    port: z.number().int().min(0).max(65535),
    listenHost: z.string().min(1).optional(),
    publicUrl: z.url().optional(),
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    proxyHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'a header name' }).transform((v) => v.toLowerCase()),
    trustedProxies: z.array(z.string().refine((v) => parseCidr(v) !== undefined, { error: 'CIDRs such as 127.0.0.1/32 or ::1/128' })),
    validityDays: z.number().int().min(1).max(825),
    renewOfferDays: z.number().int().min(0).max(365),
    renewRequiredDays: z.number().int().min(0).max(365),
    caKeyPassphrase: z.string().min(12, { error: 'at least 12 characters' }).optional(),
    caCertFile: z.string().min(1).optional(),
    caKeyFile: z.string().min(1).optional(),
    caName: z.string().min(1).max(64),
    extraAnchorsFile: z.string().min(1).optional(),
  }).refine((v) => v.renewRequiredDays <= v.renewOfferDays, { error: 'CERT_RENEW_REQUIRED_DAYS must not exceed CERT_RENEW_OFFER_DAYS', path: ['renewRequiredDays'] })
    .refine((v) => !v.caCertFile === !v.caKeyFile, { error: 'CA_CERT_FILE and CA_KEY_FILE go together', path: ['caKeyFile'] })
    .refine((v) => !v.tlsCertFile === !v.tlsKeyFile, { error: 'MTLS_TLS_CERT_FILE and MTLS_TLS_KEY_FILE go together', path: ['tlsKeyFile'] }),
  defaults: {
    mode: 'off', port: 8443, proxyHeader: 'x-ssl-client-cert', trustedProxies: [], validityDays: 365,
    renewOfferDays: 60, renewRequiredDays: 30, caName: 'Bank IdP Client CA',
  },
  env: [
    { env: 'MTLS_MODE', path: 'mode', parse: str, doc: 'how client certificates reach the IdP: off (default; no certificate login), direct (an HTTPS listener of our own on MTLS_PORT asks for them) or proxy (a TLS-terminating nginx passes them in MTLS_PROXY_HEADER)' },
    { env: 'MTLS_PORT', path: 'port', parse: int, doc: 'direct mode: port of the HTTPS listener that asks for the client certificate (default 8443)' },
    { env: 'MTLS_HOST', path: 'listenHost', parse: str, doc: 'direct mode: listen address of that listener (default: HOST)' },
    { env: 'MTLS_URL', path: 'publicUrl', parse: str, doc: 'direct mode: the listener\'s public URL (default https://<the issuer\'s host name>:MTLS_PORT)' },
    { env: 'MTLS_TLS_CERT_FILE', path: 'tlsCertFile', parse: str, doc: 'direct mode: the listener\'s own TLS certificate (PEM, with its chain); required in production, else one is issued by our CA for the issuer\'s host name' },
    { env: 'MTLS_TLS_KEY_FILE', path: 'tlsKeyFile', parse: str, doc: 'direct mode: the private key of MTLS_TLS_CERT_FILE (PEM)' },
    { env: 'MTLS_PROXY_HEADER', path: 'proxyHeader', parse: str, doc: 'proxy mode: the request header with the client certificate, URL-encoded PEM as nginx\'s $ssl_client_escaped_cert (default x-ssl-client-cert)' },
    { env: 'TRUSTED_PROXIES', path: 'trustedProxies', parse: list, doc: 'proxy mode: TCP peers (comma-separated CIDRs) whose certificate header is believed; anyone else\'s is ignored and audited (default none)' },
    { env: 'CERT_VALIDITY_DAYS', path: 'validityDays', parse: int, doc: 'days a client certificate issued by our CA is valid (default 365)' },
    { env: 'CERT_RENEW_OFFER_DAYS', path: 'renewOfferDays', parse: int, doc: 'from this many days before expiry the login offers to renew the certificate (default 60)' },
    { env: 'CERT_RENEW_REQUIRED_DAYS', path: 'renewRequiredDays', parse: int, doc: 'from this many days before expiry renewal is mandatory (default 30)' },
    { env: 'CA_KEY_PASSPHRASE', path: 'caKeyPassphrase', parse: str, doc: 'passphrase that encrypts the CA\'s private key at rest (12+ characters); required in production, else derived from DATA_KEY' },
    { env: 'CA_CERT_FILE', path: 'caCertFile', parse: str, doc: 'the CA certificate (PEM); with CA_KEY_FILE. Unset: a CA is created at first start and kept in Redis, its key encrypted' },
    { env: 'CA_KEY_FILE', path: 'caKeyFile', parse: str, doc: 'the CA\'s private key, encrypted PKCS#8 PEM under CA_KEY_PASSPHRASE' },
    { env: 'CA_NAME', path: 'caName', parse: str, doc: 'common name of a CA created at first start (default Bank IdP Client CA)' },
    { env: 'CERT_EXTRA_ANCHORS', path: 'extraAnchorsFile', parse: str, doc: 'PEM file of further trust anchors for the certificate login, e.g. the smart-card (CNS) CA: their certificates log in with amr sc, hwk' },
  ],
});

export type CertificateSettings = ReturnType<typeof certificateSettings.of>;
