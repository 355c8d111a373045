// Client certificates in a real browser (Debian's Chromium through playwright-core), direct mode: the
// activation page makes the key pair with WebCrypto and the PKCS#12 with node-forge in the page; the
// downloaded .p12 opens with its password, and the same browser then uses it as its client
// certificate (playwright's clientCertificates) for a loa:3 login through our HTTPS listener. Later
// (a controllable clock) the login asks for the mandatory renewal, done in the page the same way; the
// first login with the new certificate revokes the old one.
import { CHROMIUM, launch } from '../helpers/pages.ts';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { certificatesOf } from '../../interactions/certificate/certificates.ts';
import { openPkcs12 } from '../../interactions/certificate/pkcs12.ts';
import { ROOT } from '../../src/app.ts';
import { DAY_MS, ManualClock } from '../../src/clock.ts';
import { certificateOverrides } from '../helpers/certificate.ts';
import { ADMIN_PASSWORD, CERT_DATA, LOA3, MARIO_OP } from '../helpers/certificate-data.ts';
import { CALLBACK } from '../helpers/data.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, exchange, relyingParty } from '../helpers/rp.ts';
import { freePort } from '../global-setup.ts';

const ARTEFACTS = path.join(ROOT, 'test', 'artefacts');
const P12_PASSWORD = 'Certificato-2026';

let t: TestIdp;
let browser: Browser;
let mtlsOrigin: string;
const clock = new ManualClock();

beforeAll(async () => {
  if (!CHROMIUM || !realRedis) return;
  const port = await freePort();
  mtlsOrigin = `https://127.0.0.1:${port}`;
  t = await startIdp({ data: CERT_DATA, options: { clock }, overrides: certificateOverrides({ mode: 'direct', port }) });
  browser = await launch();
  mkdirSync(ARTEFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

function watchCsp(page: Page): string[] {
  const blocked: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused/.test(m.text())) blocked.push(m.text()); });
  return blocked;
}

/** The key page: the PKCS#12 password twice, "create", and the .p12 the page hands over. */
async function makeCertificateInPage(page: Page, shot: string): Promise<{ p12: Buffer; identifier: string }> {
  const identifier = (await page.locator('#cert-identifier').textContent())!.trim();
  await page.fill('input[name=p12_password]', P12_PASSWORD);
  await page.fill('input[name=p12_password_confirm]', P12_PASSWORD);
  const download = page.waitForEvent('download', { timeout: 30_000 });
  await page.click('#cert-generate');
  const file = await download.catch(async (err: Error) => {
    throw new Error(`${err.message}; the page says: ${await page.locator('#cert-error').textContent()} ${await page.locator('[role=alert]').allTextContents()}`);
  });
  expect(file.suggestedFilename()).toBe(`${identifier}.p12`);
  const chunks: Buffer[] = [];
  for await (const c of (await file.createReadStream())) chunks.push(c as Buffer);
  await page.locator('#cert-result').waitFor();
  await page.screenshot({ path: path.join(ARTEFACTS, shot), fullPage: true });
  return { p12: Buffer.concat(chunks), identifier };
}

/** A login at loa:3 in a context that presents this PKCS#12 to our HTTPS listener. */
async function loginWith(p12: Buffer): Promise<{ context: BrowserContext; page: Page; finish(): Promise<Record<string, unknown>> }> {
  const context = await browser.newContext({ locale: 'en-GB', ignoreHTTPSErrors: true, clientCertificates: [{ origin: mtlsOrigin, pfx: p12, passphrase: P12_PASSWORD }] });
  const page = await context.newPage();
  await page.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback' }));
  const rp = await relyingParty(t.issuer);
  const started = await authorizationUrl(rp, { acr_values: LOA3 });
  await page.goto(started.url);
  await page.fill('input[name=company_code]', MARIO_OP.company_code);
  await page.fill('input[name=operator_code]', MARIO_OP.operator_code);
  await page.click('button[type=submit]:not([formaction])');
  return {
    context, page,
    async finish() {
      await page.fill('input[name=password]', MARIO_OP.password);
      await page.click('button[type=submit]:not([formaction])');
      await page.waitForURL((u) => u.href.startsWith(CALLBACK));
      const tokens = await exchange(rp, started, page.url());
      return tokens.claims() as Record<string, unknown>;
    },
  };
}

describe.skipIf(!CHROMIUM || !realRedis)('certificates in a real browser', () => {
  let first: { p12: Buffer; identifier: string };

  it('activates: the key pair and the PKCS#12 are made in the page; the .p12 opens with its password', async () => {
    const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
    const page = await context.newPage();
    const blocked = watchCsp(page);
    await page.goto(`${t.issuer}/certificate/activate`);
    await page.fill('input[name=company_code]', MARIO_OP.company_code);
    await page.fill('input[name=operator_code]', MARIO_OP.operator_code);
    await page.click('button[type=submit]');
    await page.fill('input[name=password]', 'PIPPO138');
    await page.click('button[type=submit]:not([name=restart])');
    first = await makeCertificateInPage(page, 'certificate-activated.png');
    expect(first.identifier).toMatch(/^0000012345\d{5}\d{8}$/);
    expect(blocked).toEqual([]);
    await context.close();

    const opened = openPkcs12(first.p12, P12_PASSWORD);
    expect(opened.certs[0]!.subject.getField('CN').value).toBe(first.identifier);
    expect(opened.certs[1]!.subject.getField('CN').value).toBe('Test Client CA');
    expect(() => openPkcs12(first.p12, 'not-the-password')).toThrow();
    const record = (await certificatesOf(t.idp.services).ofAccount('O.12345678.MARIO'))[0]!;
    expect(record).toMatchObject({ identifier: first.identifier, via: 'browser' });
    // The certificate on record is for the key in the file: the server only ever saw the CSR.
    expect(opened.certs[0]!.serialNumber.toUpperCase()).toBe(record.serial);
    expect((opened.certs[0]!.publicKey as { n: { toString(r: number): string } }).n.toString(16)).toBe(opened.key!.n.toString(16));
  });

  it('logs in at loa:3 with that .p12 as the browser\'s client certificate', async () => {
    const login = await loginWith(first.p12);
    await login.page.locator('input[name=password]').waitFor();
    const claims = await login.finish();
    expect(claims.acr).toBe(LOA3);
    expect(claims.amr).toEqual(expect.arrayContaining(['swk', 'pwd']));
    await login.context.close();
  });

  it('asks for the mandatory renewal 20 days before expiry, renews in the page, and the new certificate retires the old one', async () => {
    const certs = certificatesOf(t.idp.services);
    const old = (await certs.ofAccount('O.12345678.MARIO'))[0]!;
    clock.advance(old.notAfter - clock.now() - 20 * DAY_MS);
    const login = await loginWith(first.p12);
    const page = login.page;
    await page.locator('#renew-days').waitFor();
    expect(await page.locator('#renew-days').getAttribute('data-days')).toBe('20');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]:not([formaction])');
    const renewed = await makeCertificateInPage(page, 'certificate-renewed.png');
    expect(renewed.identifier).not.toBe(first.identifier);
    await page.click('#cert-continue button');
    const claims = await login.finish();
    expect(claims.acr).toBe(LOA3);
    await login.context.close();
    expect((await certs.get(old.serial))!.revokedAt).toBeUndefined();

    const next = await loginWith(renewed.p12);
    await next.page.locator('input[name=password]').waitFor();
    await next.finish();
    await next.context.close();
    expect((await certs.get(old.serial))).toMatchObject({ reason: 'superseded' });
  });
});
