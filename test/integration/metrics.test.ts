// /metrics in Prometheus text: logins by level, steps by method and outcome, lockouts, messages by
// channel, abuse-limit refusals, HTTP latency by route, Redis latency; behind a token or on its own
// port. Logs are JSON with a request id that the audit events carry too, and never a secret.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, login, relyingParty } from '../helpers/rp.ts';
import { freePort } from '../global-setup.ts';
import { runCli } from '../../src/cli/main.ts';

const TOKEN = 'metrics-token-0123456789';
const lines: Record<string, unknown>[] = [];
const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });

let t: TestIdp;
let rp: oidc.Configuration;
beforeAll(async () => {
  t = await startIdp({
    overrides: { metricsToken: TOKEN, rateLimit: { ipFailures: 3, ipWindowSeconds: 900, accountFailures: 100, accountWindowSeconds: 900, slowFailures: 100, slowWindowDays: 30 } },
  });
  rp = await relyingParty(t.issuer);
});
afterAll(async () => t?.close());

const scrape = async (token = TOKEN) => fetch(`${t.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('/metrics', () => {
  it('counts logins, failed steps, refusals and latencies', async () => {
    await login(new Browser(t.issuer), rp, MARIO);
    const browser = new Browser(t.issuer);
    const first = await browser.go((await authorizationUrl(rp)).url);
    let page = await browser.submit(first, { fiscal_code: MARIO.fiscal_code });
    for (let i = 0; i < 4; i += 1) page = await browser.submit(page, { password: 'Wrong-Pass-1' });
    expect(page.status).toBe(429);

    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^idp_logins_total\{acr="urn:idp:loa:1"\} 1$/m);
    expect(text).toMatch(/^idp_login_steps_total\{method="password",outcome="success",reason=""\} 1$/m);
    expect(text).toMatch(/^idp_login_steps_total\{method="password",outcome="failure",reason="wrong"\} 3$/m);
    expect(text).toMatch(/^idp_rate_limit_refusals_total\{limit="ip"\} 1$/m);
    expect(text).toMatch(/^idp_http_request_duration_seconds_count\{route="\/interaction\/:uid",method="POST",status="429"\} 1$/m);
    expect(text).toMatch(/^idp_http_request_duration_seconds_count\{route="\/token",method="POST",status="200"\} 1$/m);
    expect(text).toMatch(/^idp_messages_sent_total|# TYPE idp_messages_sent_total counter/m);
    if (realRedis) expect(text).toMatch(/^idp_redis_command_duration_seconds_count\{command="evalsha"\} \d+$/m);
  });

  it('needs the token when one is set', async () => {
    expect((await scrape('')).status).toBe(401);
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
  });

  it('can be served on its own port only', async () => {
    const port = await freePort();
    const other = await startIdp({ data: null, overrides: { metricsPort: port } });
    try {
      expect((await fetch(`${other.url}/metrics`)).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/idp_process_/);
    } finally {
      await other.close();
    }
  });
});

describe('an IdP built on a store it shares (a command line command run in-process)', () => {
  it.skipIf(!realRedis)('leaves the store as it was once closed: no Redis metrics of its own piled on the client', async () => {
    const redis = t.idp.store.redis as unknown as { sendCommand: unknown; listenerCount: (e: string) => number };
    const send = redis.sendCommand;
    const listeners = redis.listenerCount('error');
    // More than the 10 listeners after which Node warns of a leak.
    for (let i = 0; i < 12; i += 1) expect(await runCli(['company', 'list'], t.config, t.idp.store)).toBeTypeOf('string');
    expect(redis.listenerCount('error')).toBe(listeners);
    expect(redis.sendCommand).toBe(send);
    // The IdP that owns the metrics still counts its commands.
    const before = await (await scrape()).text();
    const count = (text: string) => Number(/^idp_redis_command_duration_seconds_count\{command="get"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    for (let i = 0; i < 10; i += 1) await t.idp.store.redis.get('metrics-test-probe');
    expect(count(await (await scrape()).text())).toBeGreaterThan(count(before));
  });
});

describe('logs', () => {
  let logged: TestIdp;
  beforeAll(async () => { logged = await startIdp({ options: { logger: createLogger({ logLevel: 'info' }, sink) } }); });
  afterAll(async () => logged?.close());

  it('carry the request id of X-Request-Id into every line and audit event of the request, and no secret', async () => {
    lines.length = 0;
    const browser = new Browser(logged.issuer);
    await login(browser, await relyingParty(logged.issuer), { fiscal_code: 'VRDGPP80A01H501U', password: 'Primo-Accesso-1' }).catch(() => undefined);
    const audits = lines.filter((l) => l.msg === 'audit');
    expect(audits.length).toBeGreaterThan(0);
    for (const a of audits) expect((a.audit as Record<string, unknown>).request).toBe(a.req_id);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(2);
    for (const r of requests) expect(r.req_id).toMatch(/^[0-9a-f-]{36}$/);
    const stored = await logged.idp.services.audit.recent(1, { event: 'login.password' });
    expect(stored[0]!.request).toMatch(/^[0-9a-f-]{36}$/);
    const all = JSON.stringify(lines);
    expect(all).not.toContain('Primo-Accesso-1');
    expect(all).not.toContain('rp-secret-0123456789');
  });

  it('answers each request with its id', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
