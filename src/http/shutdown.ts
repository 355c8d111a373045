// Graceful stop: no new connections, requests in flight finish (up to a bound), idle keep-alive
// connections are closed as they become idle; what is still open at the bound is cut.
import type http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** An HTTP(S) server, or any listener a method brings (it has no idle connections to close). */
type Closable = net.Server & Partial<Pick<http.Server, 'closeIdleConnections' | 'closeAllConnections'>>;

export async function closeGracefully(servers: Closable[], graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  const closed = servers.map((s) => new Promise<void>((resolve) => {
    if (!s.listening) return resolve();
    s.close(() => resolve());
  }));
  let done = false;
  const all = Promise.all(closed).then(() => { done = true; });
  // Bounded: one check every 50 ms until the deadline.
  while (!done && Date.now() < deadline) {
    for (const s of servers) s.closeIdleConnections?.();
    await Promise.race([all, sleep(50)]);
  }
  if (!done) {
    for (const s of servers) s.closeAllConnections?.();
    await all;
  }
}
