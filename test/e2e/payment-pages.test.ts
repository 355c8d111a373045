// The payment confirmation pages in a real browser (Debian's Chromium), in Italian and English:
// axe-core finds no violation at desktop and phone width, nothing scrolls sideways, screenshots are
// kept in test/artefacts/pages/<lang>/payment-*.png. A single payment (amount as the language writes
// it, IBAN in groups of four), a refused answer, a batch with its total, the page without a channel.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { lastMessage } from '../helpers/member-data.ts';
import { authorize, checkPage, CHROMIUM, launch, standInClient, type Violation } from '../helpers/pages.ts';
import { OPERATOR_PHONE, PAYMENT_DATA, PAYEE_IBAN, paymentDetail } from '../helpers/payment-data.ts';

const item = (amount: string, creditorName: string, reference: string) => ({
  instructedAmount: { currency: 'EUR', amount }, creditorName, creditorAccount: { iban: PAYEE_IBAN }, remittanceInformationUnstructured: reference,
});
const BATCH = {
  type: 'payment_initiation_batch', debtorAccount: { iban: 'IT42L1234512345123456789012' },
  payments: [item('1200.00', 'Mario Bianchi', 'Stipendio novembre'), item('980.50', 'Lucia Verdi', 'Stipendio novembre'), item('15000.00', 'Fornitore S.r.l.', 'Fattura 2026/118')],
};

for (const lang of ['it', 'en'] as const) {
  describe.skipIf(!CHROMIUM)(`payment confirmation pages in a real browser (${lang})`, () => {
    let t: TestIdp;
    let client: Awaited<ReturnType<typeof standInClient>>;
    let browser: Browser;
    const outbox = path.join(mkdtempSync(path.join(os.tmpdir(), 'idp-payment-pages-')), 'outbox.jsonl');

    beforeAll(async () => {
      client = await standInClient();
      const data = { ...PAYMENT_DATA, clients: PAYMENT_DATA.clients.map((c) => ({ ...c, redirect_uris: [client.callback] })) };
      t = await startIdp({ data, overrides: { delivery: { outboxFile: outbox } } });
      browser = await launch();
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await client?.close();
    });

    async function confirmationPage(detailsValue: unknown[], operator = 'MARIO'): Promise<{ page: Page; found: Violation[]; close(): Promise<void> }> {
      const context = await browser.newContext({ locale: lang === 'it' ? 'it-IT' : 'en-GB' });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      await page.goto(authorize(t.issuer, 'treasury', client.callback, { authorization_details: JSON.stringify(detailsValue) }));
      await page.fill('input[name=company_code]', '12345678');
      await page.fill('input[name=operator_code]', operator);
      await page.fill('input[name=password]', 'Op3rat0r');
      await Promise.all([page.waitForNavigation(), page.locator('main form[method=post] .actions button[type=submit]').first().click()]);
      return { page, found: [], close: () => context.close() };
    }

    it('a single payment: shown, refused once, then authorised', async () => {
      const p = await confirmationPage([paymentDetail()]);
      const amount = new Intl.NumberFormat(lang === 'it' ? 'it-IT' : 'en-GB', { style: 'currency', currency: 'EUR', useGrouping: 'always' } as unknown as Intl.NumberFormatOptions).format(1234.5);
      expect(await p.page.textContent('#payment-amount')).toBe(amount);
      expect(await p.page.textContent('#payment-iban')).toBe('IT60 X054 2811 1010 0000 0123 456');
      p.found.push(...(await checkPage(p.page, lang, 'payment-confirm')));
      await p.page.fill('#dispositive_password', 'Wrong1');
      await p.page.fill('#otp', '000000');
      await Promise.all([p.page.waitForNavigation(), p.page.locator('main form[method=post] .actions button[type=submit]').first().click()]);
      expect(await p.page.textContent('[role=alert]')).toBeTruthy();
      p.found.push(...(await checkPage(p.page, lang, 'payment-refused')));
      await p.page.fill('#dispositive_password', 'Disp0s1');
      await p.page.fill('#otp', lastMessage(outbox, OPERATOR_PHONE, 'payment_code')!.code!);
      await Promise.all([p.page.waitForURL((u) => u.href.startsWith(client.callback)), p.page.locator('main form[method=post] .actions button[type=submit]').first().click()]);
      expect(new URL(p.page.url()).searchParams.get('code')).toBeTruthy();
      await p.close();
      expect(p.found).toEqual([]);
    });

    it('a batch: the count, the total and the list', async () => {
      const p = await confirmationPage([BATCH]);
      expect(await p.page.textContent('#payment-count')).toBe('3');
      expect(await p.page.textContent('#payment-total')).toBe(new Intl.NumberFormat(lang === 'it' ? 'it-IT' : 'en-GB', { style: 'currency', currency: 'EUR', useGrouping: 'always' } as unknown as Intl.NumberFormatOptions).format(17180.5));
      expect(await p.page.locator('#payment-list > li').count()).toBe(3);
      p.found.push(...(await checkPage(p.page, lang, 'payment-batch')));
      await p.close();
      expect(p.found).toEqual([]);
    });

    it('without a secure channel: what to do, and the way back', async () => {
      const p = await confirmationPage([paymentDetail()], 'NOCHAN');
      expect(await p.page.locator('#no-channel').count()).toBe(1);
      p.found.push(...(await checkPage(p.page, lang, 'payment-no-channel')));
      await Promise.all([p.page.waitForURL((u) => u.href.startsWith(client.callback)), p.page.locator('main form[method=post] button[type=submit]').first().click()]);
      expect(new URL(p.page.url()).searchParams.get('error')).toBe('access_denied');
      await p.close();
      expect(p.found).toEqual([]);
    });
  });
}
