// Fail closed: with Redis out of reach, logins fail with a clear 503 page and nothing is counted;
// when it is back, logins work again. A loopback TCP proxy in front of Redis plays the outage.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { realRedis, redisUrl, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';
import { freePort } from '../global-setup.ts';

class Proxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  constructor(readonly port: number, private readonly target: URL) {}
  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('error', () => s.destroy()); s.on('close', () => this.sockets.delete(s)); }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

describe.skipIf(!realRedis)('Redis out of reach', () => {
  let proxy: Proxy;
  let t: TestIdp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    proxy = new Proxy(await freePort(), new URL(redisUrl));
    await proxy.up();
    t = await startIdp({ overrides: { redisUrl: `redis://127.0.0.1:${proxy.port}` } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => { await t?.close(); await proxy?.down(); });

  it('shows a 503 page, counts nothing, and recovers when Redis is back', async () => {
    const browser = new Browser(t.issuer);
    const identify = await browser.go((await authorizationUrl(rp)).url);
    const password = await browser.submit(identify, { fiscal_code: MARIO.fiscal_code });

    await proxy.down();
    const refused = await browser.submit(password, { password: 'Wrong-1' });
    expect(refused.status).toBe(503);
    expect(refused.html).toMatch(/temporarily unavailable/);
    const auth = await browser.go((await authorizationUrl(rp)).url);
    expect(auth.status).toBe(503);
    expect((await fetch(`${t.url}/readyz`, { headers: { accept: 'application/json' } })).status).toBe(503);
    // The process itself is fine: /healthz never touches Redis.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);

    await proxy.up();
    // ioredis reconnects by itself; give it a moment.
    for (let i = 0; i < 50 && (await fetch(`${t.url}/readyz`)).status !== 200; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect((await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal'))?.failures).toBe(0);
    const done = await browser.submit(password, { password: MARIO.password });
    expect(done.left).toBeTruthy();
  });
});
