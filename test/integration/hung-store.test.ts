// A Redis that stops answering (SIGSTOP) must not hang the IdP: commands time out, pages answer
// 503, the token endpoint 503 temporarily_unavailable, /readyz 503 and /healthz 200; when Redis
// goes on (SIGCONT), logins work again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';
import { startRedisServer } from '../global-setup.ts';

// On main, requests hang for ever: this bound (far above the 500 ms command timeout) makes that a failure.
const bounded = () => ({ signal: AbortSignal.timeout(15_000) });

describe.skipIf(!realRedis)('Redis stopped (SIGSTOP)', () => {
  let redis: NonNullable<Awaited<ReturnType<typeof startRedisServer>>>;
  let t: TestIdp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    redis = (await startRedisServer())!;
    t = await startIdp({ overrides: { redisUrl: redis.url, redisCommandTimeoutMs: 500, readyTimeoutMs: 300 } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => {
    process.kill(redis.pid, 'SIGCONT');
    await t?.close();
    redis?.stop();
  });

  it('answers 503 within the timeout, readyz 503, healthz 200, and recovers on SIGCONT', async () => {
    const browser = new Browser(t.issuer);
    const identify = await browser.go((await authorizationUrl(rp)).url);
    const password = await browser.submit(identify, { fiscal_code: MARIO.fiscal_code });
    expect(password.status).toBe(200);

    process.kill(redis.pid, 'SIGSTOP');
    try {
      const form = password.doc.querySelector('form[method=post]')!;
      const body = new URLSearchParams({ csrf: form.querySelector('input[name=csrf]')!.getAttribute('value')!, password: MARIO.password });
      const cookie = await browser.jar.getCookieString(password.url);
      const refused = await fetch(new URL(form.getAttribute('action')!, password.url), {
        method: 'POST', body: body.toString(), redirect: 'manual', ...bounded(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'accept-language': 'en', cookie },
      });
      expect(refused.status).toBe(503);
      expect(await refused.text()).toMatch(/temporarily unavailable/);

      const token = await fetch(`${t.url}/token`, {
        method: 'POST', ...bounded(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'rp', client_secret: 'rp-secret-0123456789', grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }).toString(),
      });
      expect(token.status).toBe(503);
      expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });

      expect((await fetch(`${t.url}/readyz`, bounded())).status).toBe(503);
      const health = await fetch(`${t.url}/healthz`, bounded());
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    for (let i = 0; i < 50 && (await fetch(`${t.url}/readyz`)).status !== 200; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const done = await browser.submit(password, { password: MARIO.password });
    expect(done.left).toBeTruthy();
  });
});
