// Direct mode: our own HTTPS listener on MTLS_PORT, with its own TLS key and certificate, that asks
// every client for a certificate (our CA and the further anchors named as acceptable issuers). Only
// the certificate step sends browsers here, so no other page prompts for a certificate. It serves the
// same application: GET /certificate/mtls keeps what was presented for the login that sent the
// browser and sends it back; machine clients use the token, userinfo and introspection endpoints here
// (RFC 8705 mtls_endpoint_aliases).
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type Router from '@koa/router';
import type { Listener } from '../../src/methods/method.ts';
import type { Services } from '../../src/services.ts';
import { keys } from '../../src/store/keys.ts';
import { DAY_MS } from '../../src/clock.ts';
import { caOf, extraAnchors, forgePublicKey, newSerial, signByCa } from './ca.ts';
import { certKeys } from './keys.ts';
import { certificateSettings } from './settings.ts';

export const PRESENTED_TTL_SECONDS = 300;

/** Where browsers and machine clients reach the listener. */
export function mtlsBaseUrl(s: Services): string {
  const settings = certificateSettings.of(s.config);
  if (settings.publicUrl) return settings.publicUrl.replace(/\/$/, '');
  const host = new URL(s.config.issuer).hostname;
  return `https://${host.includes(':') ? `[${host}]` : host}:${settings.port}`;
}

/** The listener's TLS identity: the configured files, or (outside production) one our CA issues now. */
async function tlsIdentity(s: Services): Promise<{ key: string | Buffer; cert: string | Buffer }> {
  const settings = certificateSettings.of(s.config);
  if (settings.tlsCertFile && settings.tlsKeyFile) return { key: readFileSync(settings.tlsKeyFile), cert: readFileSync(settings.tlsCertFile) };
  const ca = await caOf(s);
  const host = new URL(mtlsBaseUrl(s)).hostname.replace(/^\[|\]$/g, '');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = s.clock.now();
  const names = [...new Set([host, 'localhost'].filter((h) => !net.isIP(h)))];
  const ips = [...new Set([host, '127.0.0.1', '::1'].filter((h) => net.isIP(h)))];
  const { pem } = signByCa(ca, {
    publicKey: forgePublicKey(privateKey), subject: [{ name: 'commonName', value: host }], serial: newSerial(),
    notBefore: now - DAY_MS, notAfter: now + 90 * DAY_MS, usage: 'server', dns: names, ips,
  });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: `${pem}${ca.pem}` };
}

export async function mtlsListeners(s: Services): Promise<Listener[]> {
  const settings = certificateSettings.of(s.config);
  // Said when serving (not by the commands, whose output may be JSON).
  if (settings.mode === 'proxy' && !settings.trustedProxies.length) s.log.warn('certificate: MTLS_MODE=proxy but TRUSTED_PROXIES is empty: every certificate header will be ignored');
  if (settings.mode !== 'direct') return [];
  const [identity, ca] = await Promise.all([tlsIdentity(s), caOf(s)]);
  const host = settings.listenHost ?? s.config.host;
  return [{
    name: `client certificates: https://${host}:${settings.port}`,
    async start(handler) {
      const server = https.createServer({
        ...identity,
        requestCert: true,
        // The step judges the certificate and explains a refusal; the handshake takes any.
        rejectUnauthorized: false,
        ca: [ca.pem, ...extraAnchors(s).map((a) => a.toString())],
      }, handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(settings.port, host, () => resolve());
      });
      return server;
    },
  }];
}

const STATE = /^[A-Za-z0-9_-]{16,64}$/;

/** GET /certificate/mtls?state=…: on the listener only; keeps the certificate for the login and goes back. */
export function mtlsRoutes(router: Router, s: Services): void {
  router.get('/certificate/mtls', async (ctx) => {
    const socket = ctx.req.socket as TLSSocket;
    if (certificateSettings.of(s.config).mode !== 'direct' || socket.encrypted !== true) return ctx.throw(404, 'error.not_found');
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    // Only for a login that is waiting for it (the step bound this state when it sent the browser).
    if (!STATE.test(state) || !(await s.redis.exists(keys.callbackBind('certificate', state)))) return ctx.throw(400, 'error.session_not_found');
    const cert = socket.getPeerX509Certificate();
    await s.redis.set(certKeys.presented(state), cert ? cert.toString() : '', 'EX', PRESENTED_TTL_SECONDS);
    ctx.status = 303;
    ctx.set('cache-control', 'no-store');
    ctx.redirect(`${s.config.issuer}/callback/certificate?state=${state}`);
  });
}
