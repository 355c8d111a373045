// Real-browser page checks (Debian's Chromium through playwright-core): axe-core on the page as a
// person sees it, and screenshots at desktop and phone width kept in test/artefacts/pages/ for a
// person to look at. axe is evaluated through the DevTools protocol, which the pages' CSP (no inline
// script) does not apply to, so the pages are tested with their real CSP.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../src/app.ts';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const ARTEFACTS = path.join(ROOT, 'test', 'artefacts', 'pages');
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// WCAG 2.2 levels A and AA, and axe's best practices (landmarks, one h1, heading order...).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu', '--no-first-run'],
  });
}

export interface Violation { page: string; width: number; rule: string; impact: string; targets: string[]; summary: string }

/** axe's violations on the page as it is now. */
export async function axeViolations(page: Page, name: string): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate((tags) => (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[] }> } })
    .axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  const width = page.viewportSize()?.width ?? 0;
  return result.violations.map((v) => ({
    page: name, width, rule: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')), summary: v.nodes[0]?.failureSummary ?? '',
  }));
}

/**
 * Checks the page at desktop and phone width: axe finds nothing, the page scrolls only down (no
 * sideways scroll on a phone), and a full-page screenshot of each is kept as
 * test/artefacts/pages/<lang>/<name>-<desktop|phone>.png. Leaves the page at desktop width.
 */
export async function checkPage(page: Page, lang: string, name: string): Promise<Violation[]> {
  const dir = path.join(ARTEFACTS, lang);
  mkdirSync(dir, { recursive: true });
  const found: Violation[] = [];
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(size);
    found.push(...(await axeViolations(page, `${lang}/${name}`)));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) found.push({ page: `${lang}/${name}`, width: size.width, rule: 'horizontal-scroll', impact: 'serious', targets: [], summary: `${overflow}px wider than the screen` });
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: true });
  }
  return found;
}

/** A stand-in relying party on loopback: it answers every callback with what it received. */
export async function standInClient(): Promise<{ callback: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`callback ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    callback: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** An authorization request of a client to the issuer, as a relying party would send it. */
export function authorize(issuer: string, clientId: string, callback: string, params: Record<string, string> = {}): string {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: callback, state: 'st-1', nonce: 'n-1',
    // PKCE of the verifier "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" (RFC 7636, appendix B).
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params,
  }).toString();
  return url.href;
}
