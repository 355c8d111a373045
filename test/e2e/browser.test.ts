// The login pages in a real browser (Debian's Chromium through playwright-core): the forms work
// under the pages' content security policy, the redirects back to the client are not blocked, and
// page 1 of each screen is kept as a PNG in test/artefacts/ for a person to look at.
import { CHROMIUM, launch } from '../helpers/pages.ts';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { ROOT } from '../../src/app.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';

const ARTEFACTS = path.join(ROOT, 'test', 'artefacts');

describe.skipIf(!CHROMIUM)('in a real browser', () => {
  let t: TestIdp;
  let browser: Browser;
  let rp: http.Server;
  let callback: string;

  beforeAll(async () => {
    // A stand-in relying party on loopback that just shows what it received.
    rp = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`callback ${req.url}`);
    });
    await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
    callback = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/cb`;
    t = await startIdp({
      data: {
        clients: [{ client_id: 'web', client_secret: 'web-secret-0123456789', redirect_uris: [callback], first_party: true }],
        citizens: [{ fiscal_code: MARIO.fiscal_code, password: MARIO.password, must_change: false, given_name: 'Mario' }],
      },
    });
    browser = await launch();
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((r) => rp?.close(r));
  });

  function authorize(): string {
    const url = new URL(`${t.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: callback, state: 'st-1', nonce: 'n-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString();
    return url.href;
  }

  it('logs in through the page and lands on the client with a code', async () => {
    const page = await browser.newPage({ locale: 'it-IT' });
    const blocked: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused/.test(m.text())) blocked.push(m.text()); });
    await page.goto(authorize());
    expect(await page.locator('h1').textContent()).toBe('Accedi');
    await page.screenshot({ path: path.join(ARTEFACTS, 'login-page.png'), fullPage: true });

    await page.fill('input[name=fiscal_code]', MARIO.fiscal_code);
    await page.fill('input[name=password]', 'Sbagliata-1');
    await page.click('button[type=submit]:not([formaction])');
    await expect.poll(() => page.locator('[role=alert]').textContent()).toMatch(/non validi/);
    await page.screenshot({ path: path.join(ARTEFACTS, 'login-wrong-password.png'), fullPage: true });

    await page.fill('input[name=password]', MARIO.password);
    await page.click('button[type=submit]:not([formaction])');
    await page.waitForURL((u) => u.href.startsWith(callback));
    const landed = new URL(page.url());
    expect(landed.searchParams.get('code')).toBeTruthy();
    expect(landed.searchParams.get('state')).toBe('st-1');
    expect(blocked).toEqual([]);
    await page.close();
  });

  it('shows the English page when the browser asks for English', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(authorize());
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.close();
  });
});
