// The public pages that look up a fiscal code and member code answer no sooner than
// PUBLIC_PAGE_FLOOR_MS, whether the data matched or not (a lower bound only: the machine's load
// cannot make this fail), and the code of a match still arrives.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formFields } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { awaitMessage, BRUNO, MEMBER_DATA, tempDir } from '../helpers/member-data.ts';

const FLOOR = 400;
let t: TestIdp;
let outbox: string;
beforeAll(async () => {
  outbox = path.join(tempDir('timing'), 'outbox.jsonl');
  t = await startIdp({ data: MEMBER_DATA, overrides: { publicPageFloorMs: FLOOR, delivery: { outboxFile: outbox } } });
});
afterAll(async () => t?.close());

async function timed(page: string, fields: Record<string, string>): Promise<{ ms: number; status: number; fields: string[] }> {
  const browser = new Browser(t.issuer);
  const form = await browser.go(`${t.url}${page}`);
  const started = performance.now();
  const after = await browser.submit(form, fields);
  return { ms: performance.now() - started, status: after.status, fields: formFields(after) };
}

describe('public reset pages', () => {
  it('forgot password: the floor for a match and for a mismatch, and the code is sent', async () => {
    const matched = await timed('/forgot-password', { fiscal_code: BRUNO.fiscal_code, member_code: BRUNO.member_code });
    const unmatched = await timed('/forgot-password', { fiscal_code: BRUNO.fiscal_code, member_code: 'M9999999' });
    for (const r of [matched, unmatched]) {
      expect(r.status).toBe(200);
      expect(r.fields).toContain('otp');
      expect(r.ms).toBeGreaterThanOrEqual(FLOOR - 5);
    }
    expect((await awaitMessage(outbox, BRUNO.phone, 'otp_reset')).code).toMatch(/^\d{6}$/);
  });

  it('member code: the floor whether or not the fiscal code is a member', async () => {
    for (const fiscal_code of [BRUNO.fiscal_code, 'RSSMRA80A01H501U']) {
      const r = await timed('/channel-reset/member-code', { fiscal_code, channel: 'email' });
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(FLOOR - 5);
    }
  });
});
