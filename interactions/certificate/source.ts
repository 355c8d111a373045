// Where a client certificate comes from. Proxy mode: the header nginx fills with
// $ssl_client_escaped_cert (URL-encoded PEM), believed only from a TCP peer in TRUSTED_PROXIES.
// Direct mode: the TLS connection of our own HTTPS listener. One certificate, never a chain.
import { X509Certificate } from 'node:crypto';
import type { Services } from '../../src/services.ts';
import { certificateSettings } from './settings.ts';
import { TrustedProxies } from './trusted-proxies.ts';

export type Presented =
  | { status: 'none' }
  /** A header from a peer that is not a trusted proxy: ignored (and audited by the caller). */
  | { status: 'untrusted'; peer: string }
  | { status: 'malformed'; why: string }
  | { status: 'ok'; cert: X509Certificate };

/** What is needed of a request: its headers, the TCP peer, the TLS peer certificate. */
export interface CertificateRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  peerIp: string;
  peerCertificate?: X509Certificate;
}

export const HEADER_MAX_CHARS = 16_384;
const PEM = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;

const proxies = new WeakMap<object, TrustedProxies>();
export function trustedProxies(s: Services): TrustedProxies {
  let p = proxies.get(s.config);
  if (!p) {
    p = new TrustedProxies(certificateSettings.of(s.config).trustedProxies);
    proxies.set(s.config, p);
  }
  return p;
}

/** One PEM certificate, as text (from the header, or a browser's form). */
export function parsePem(text: string): Presented {
  if (text.length > HEADER_MAX_CHARS) return { status: 'malformed', why: 'too long' };
  const pem = text.trim();
  const blocks = pem.match(/-----BEGIN [A-Z ]+-----/g) ?? [];
  if (blocks.length > 1) return { status: 'malformed', why: 'a chain, not one certificate' };
  if (!PEM.test(pem)) return { status: 'malformed', why: 'not a PEM certificate' };
  try {
    return { status: 'ok', cert: new X509Certificate(pem) };
  } catch {
    return { status: 'malformed', why: 'unreadable certificate' };
  }
}

/** The header's value: URL-encoded PEM (nginx's $ssl_client_escaped_cert), or plain PEM. */
export function fromHeader(value: string | string[] | undefined): Presented {
  if (value === undefined || value === '' || value === '(null)') return { status: 'none' };
  if (Array.isArray(value)) return { status: 'malformed', why: 'header repeated' };
  if (value.length > HEADER_MAX_CHARS * 3) return { status: 'malformed', why: 'too long' };
  let text: string;
  try {
    text = value.includes('%') ? decodeURIComponent(value) : value;
  } catch {
    return { status: 'malformed', why: 'bad URL encoding' };
  }
  return parsePem(text);
}

/** The certificate this request presents, as the configured mode says. */
export function presented(s: Services, req: CertificateRequest): Presented {
  const settings = certificateSettings.of(s.config);
  if (settings.mode === 'proxy') {
    const value = req.headers[settings.proxyHeader];
    if (value === undefined || value === '') return { status: 'none' };
    if (!trustedProxies(s).has(req.peerIp)) return { status: 'untrusted', peer: req.peerIp };
    return fromHeader(value);
  }
  if (settings.mode === 'direct' && req.peerCertificate) return { status: 'ok', cert: req.peerCertificate };
  return { status: 'none' };
}
