// The read-only view of a request that login steps get (src/flow/step.ts RequestView): no Koa, no
// way to write the response. The client address and the proxy verdict follow TRUST_PROXY.
import type { TLSSocket } from 'node:tls';
import type Koa from 'koa';
import type { RequestView } from '../flow/step.ts';

export function requestView(ctx: Koa.Context, trustProxy: boolean): RequestView {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  const peerIp = ctx.req.socket.remoteAddress ?? '';
  const tls = socket.encrypted === true;
  return {
    method: ctx.method,
    path: ctx.path,
    headers: ctx.headers,
    ip: ctx.ip,
    peerIp,
    fromTrustedProxy: trustProxy,
    peerCertificate: tls ? socket.getPeerX509Certificate?.() : undefined,
  };
}
