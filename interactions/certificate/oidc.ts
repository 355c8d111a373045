// OIDC clients with certificates too (RFC 8705), through oidc-provider's mTLS feature: client
// authentication tls_client_auth (a certificate from our CA or a further anchor, with the registered
// subject) and self_signed_tls_client_auth (the certificate in the client's JWKS), and access tokens
// bound to the certificate (cnf.x5t#S256), which userinfo and introspection then check. The
// certificate comes from the same source as the login's (the trusted proxy's header, or our own
// listener); it is read and judged once per request, before the provider's endpoints.
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderExtension } from '../../src/methods/method.ts';
import type { Services } from '../../src/services.ts';
import { mtlsBaseUrl } from './listener.ts';
import { certificateSettings } from './settings.ts';
import { presented } from './source.ts';
import { verifyCertificate } from './verify.ts';

/** oidc-provider's endpoints where a client certificate counts (its default routes). */
const ENDPOINTS = new Set(['/token', '/me', '/token/introspection', '/token/revocation', '/request', '/device/auth', '/backchannel']);
const DEFAULT_AUTH_METHODS = ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none'];

interface Judged { cert: X509Certificate; authorized: boolean }
declare module 'koa' {
  interface DefaultState { clientCertificate?: Judged }
}

const judged = (ctx: KoaContextWithOIDC): Judged | undefined => (ctx.state as { clientCertificate?: Judged }).clientCertificate;

/** "CN=a, O=b" (RFC 4514, any order) against Node's "O=b\nCN=a": the same attributes. */
function sameDn(expected: string, subject: string): boolean {
  const norm = (parts: string[]) => parts.map((p) => p.trim().replace(/\s*=\s*/, '=').toLowerCase()).filter(Boolean).sort().join('\n');
  return norm(expected.split(/(?<!\\),/)) === norm(subject.split('\n'));
}

function subjectMatches(cert: X509Certificate, property: string, expected: string): boolean {
  if (property === 'tls_client_auth_subject_dn') return sameDn(expected, cert.subject);
  const prefix = { tls_client_auth_san_dns: 'DNS:', tls_client_auth_san_uri: 'URI:', tls_client_auth_san_ip: 'IP Address:', tls_client_auth_san_email: 'email:' }[property];
  if (!prefix) return false;
  return (cert.subjectAltName ?? '').split(', ').some((n) => n === `${prefix}${expected}`);
}

export const certificateProvider: ProviderExtension = {
  configure(configuration: Configuration, s: Services) {
    const settings = certificateSettings.of(s.config);
    if (settings.mode === 'off') return;
    configuration.features = {
      ...configuration.features,
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => judged(ctx)?.cert,
        certificateAuthorized: (ctx) => judged(ctx)?.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => {
          const cert = judged(ctx)?.cert;
          return !!cert && subjectMatches(cert, property, expected);
        },
      },
    };
    configuration.clientAuthMethods = [...(configuration.clientAuthMethods ?? DEFAULT_AUTH_METHODS), 'tls_client_auth', 'self_signed_tls_client_auth'] as Configuration['clientAuthMethods'];
    if (settings.mode === 'direct') {
      const base = mtlsBaseUrl(s);
      configuration.discovery = {
        ...configuration.discovery,
        mtls_endpoint_aliases: {
          token_endpoint: `${base}/token`, userinfo_endpoint: `${base}/me`,
          introspection_endpoint: `${base}/token/introspection`, revocation_endpoint: `${base}/token/revocation`,
        },
      };
    }
  },

  middleware(s: Services) {
    const mode = certificateSettings.of(s.config).mode;
    return async (ctx, next) => {
      if (mode !== 'off' && ENDPOINTS.has(ctx.path)) {
        const socket = ctx.req.socket as Partial<TLSSocket>;
        const p = presented(s, {
          headers: ctx.headers, peerIp: ctx.req.socket.remoteAddress ?? '',
          peerCertificate: socket.encrypted ? socket.getPeerX509Certificate?.() : undefined,
        });
        if (p.status === 'untrusted') {
          await s.audit.record({ event: 'certificate.header_untrusted', outcome: 'failure', ip: ctx.ip, reason: `certificate header from ${p.peer} on ${ctx.path}, not a trusted proxy: ignored` });
        }
        if (p.status === 'ok') {
          const v = await verifyCertificate(s, p.cert);
          ctx.state.clientCertificate = { cert: p.cert, authorized: v.ok };
        }
      }
      await next();
    };
  },
};
