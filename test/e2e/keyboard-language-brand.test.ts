// In a real browser (Debian's Chromium): a login with the keyboard only, with a focus ring one can
// see; the language switch on a login in progress; and the bank's brand from the configuration (name,
// logo served from this server, colours, footer links), kept as screenshots in test/artefacts/pages/.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { contrast } from '../../src/config.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { ARTEFACTS, authorize, checkPage, CHROMIUM, launch, standInClient } from '../helpers/pages.ts';

const MARIO = { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123' };
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><!-- aurora-test-logo --><rect width="120" height="40" rx="6" fill="#7a1f3d"/><text x="60" y="27" font-size="18" text-anchor="middle" fill="#fff">AURORA</text></svg>';

const toHex = (rgb: string) => `#${(rgb.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('')}`;

describe.skipIf(!CHROMIUM)('keyboard, language switch and brand, in a real browser', () => {
  let client: Awaited<ReturnType<typeof standInClient>>;
  let t: TestIdp;
  let branded: TestIdp;
  let browser: Browser;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-brand-'));

  beforeAll(async () => {
    client = await standInClient();
    const data = {
      clients: [{ client_id: 'web', client_secret: 'web-secret-0123456789', client_name: 'Home Banking', redirect_uris: [client.callback], first_party: true }],
      citizens: [{ ...MARIO, must_change: false, given_name: 'Mario' }],
    };
    writeFileSync(path.join(dir, 'aurora.svg'), LOGO);
    t = await startIdp({ data });
    branded = await startIdp({
      data,
      overrides: {
        brand: {
          name: 'Banca Aurora', logo: path.join(dir, 'aurora.svg'), primaryColor: '#7a1f3d', backgroundColor: '#f4efe6',
          helpUrl: 'https://www.example.org/aiuto', privacyUrl: 'https://www.example.org/privacy', contactUrl: 'mailto:assistenza@example.org',
        },
      },
    });
    browser = await launch();
    mkdirSync(path.join(ARTEFACTS, 'it'), { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await branded?.close();
    await client?.close();
  });

  it('signs in with the keyboard only, every control showing a focus ring one can see', async () => {
    const page = await browser.newPage({ locale: 'it-IT' });
    await page.goto(authorize(t.issuer, 'web', client.callback));
    // The cursor starts in the first field; Tab goes through the form in reading order.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('fiscal_code');
    await page.keyboard.type(MARIO.fiscal_code);
    const order: string[] = [];
    const rings: { what: string; style: string; width: number; offset: number; contrast: number }[] = [];
    for (let i = 0; i < 6; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const cs = getComputedStyle(el);
        return {
          what: el.id || el.getAttribute('name') || el.getAttribute('data-reveal') && 'reveal' || el.textContent!.trim(),
          style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), offset: parseFloat(cs.outlineOffset), color: cs.outlineColor,
          around: getComputedStyle(el.closest('main')!).backgroundColor,
        };
      });
      order.push(focused.what);
      rings.push({ ...focused, contrast: contrast(toHex(focused.color), toHex(focused.around)) });
      if (focused.what === 'password') await page.keyboard.type(MARIO.password);
      if (focused.what === 'Accedi') break;
    }
    expect(order).toEqual(['company_code', 'operator_code', 'password', 'reveal', 'Accedi']);
    for (const r of rings) {
      expect(r.style, r.what).toBe('solid');
      expect(r.width, r.what).toBeGreaterThanOrEqual(2);
      expect(r.offset, r.what).toBeGreaterThanOrEqual(2);   // set off from the button, not drawn on its colour
      expect(r.contrast, r.what).toBeGreaterThanOrEqual(3);  // WCAG 2.2 non-text contrast
    }
    await page.screenshot({ path: path.join(ARTEFACTS, 'it', 'keyboard-focus-on-sign-in.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.href.startsWith(client.callback));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await page.close();
  });

  it('switches language on a login in progress, and keeps the choice for the next pages', async () => {
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    await page.goto(authorize(t.issuer, 'web', client.callback));
    const login = page.url();
    expect(await page.textContent('h1')).toBe('Accedi');
    await Promise.all([page.waitForNavigation(), page.click('nav.languages a[hreflang=en]')]);
    expect(page.url()).toBe(login);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Sign in');
    await page.fill('#fiscal_code', MARIO.fiscal_code);
    await page.fill('#password', 'Wrong-123');
    await Promise.all([page.waitForNavigation(), page.click('main form .actions button[type=submit]')]);
    expect(await page.textContent('[role=alert]')).toMatch(/Wrong user or password/);
    await page.fill('#password', MARIO.password);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(client.callback)), page.click('main form .actions button[type=submit]')]);
    // Other pages follow the choice, whatever the browser's language.
    await page.goto(`${t.issuer}/help`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await Promise.all([page.waitForNavigation(), page.click('nav.languages a[hreflang=it]')]);
    expect(page.url()).toBe(`${t.issuer}/help`);
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    await context.close();
  });

  it('shows the bank\'s name, logo, colours and footer links from the configuration', async () => {
    const page = await browser.newPage({ locale: 'it-IT' });
    await page.goto(authorize(branded.issuer, 'web', client.callback));
    expect(await page.textContent('.brand')).toContain('Banca Aurora');
    expect(await page.title()).toBe('Accedi · Banca Aurora');
    expect(await page.textContent('body')).not.toContain('Accesso sicuro');
    const logo = await page.getAttribute('.brand-logo', 'src');
    expect(logo).toMatch(/^\/assets\/logo\?v=/);
    const served = await page.request.get(`${branded.issuer}${logo}`);
    expect(served.headers()['content-type']).toBe('image/svg+xml');
    expect(await served.text()).toContain('aurora-test-logo');
    expect(await page.evaluate(() => (document.querySelector('.brand-logo') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('main form .actions button')!).backgroundColor)).toBe('rgb(122, 31, 61)');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(244, 239, 230)');
    expect(await page.locator('footer a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      'https://www.example.org/aiuto', 'https://www.example.org/privacy', 'mailto:assistenza@example.org',
    ]);
    // The brand page, like every page: no accessibility violation, kept as screenshots.
    expect(await checkPage(page, 'it', 'brand-from-configuration')).toEqual([]);
    await page.close();
  });
});
