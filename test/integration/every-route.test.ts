// Every route of ours, visited with garbage by an anonymous and by a logged-in user: a clear page
// and a status below 500, never a stack trace; and the security counters do not move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { login, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp({ overrides: { demo: true } }); });
afterAll(async () => t?.close());

const GARBAGE_PARAMS = ['x', '..%2F..%2Fetc%2Fpasswd', '%00', 'A'.repeat(300), '%E0%A4%A'];
const BODIES: { type?: string; body: string | Uint8Array }[] = [
  { type: 'application/x-www-form-urlencoded', body: '' },
  { type: 'application/x-www-form-urlencoded', body: 'csrf=nope&password=x&otp=1&new_password=a&fiscal_code=%%%' },
  { type: 'application/x-www-form-urlencoded', body: `a=${'x'.repeat(70_000)}` },
  { type: 'application/json', body: '{"csrf": "x"' },
  { type: 'multipart/form-data; boundary=zzz', body: '--zzz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nx\r\n--zz' },
  { type: 'multipart/form-data', body: 'garbage' },
  // Cut off inside the file part (no closing boundary).
  { type: 'multipart/form-data; boundary=zzz', body: '--zzz\r\nContent-Disposition: form-data; name="document"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 cut' },
  { body: new Uint8Array([0xff, 0xfe, 0x00, 0x01]) },
];

function fill(path: string, value: string): string {
  return path.replace(/:[A-Za-z_]+/g, value);
}

async function visitAll(browser: Browser): Promise<string[]> {
  const problems: string[] = [];
  for (const { method, path } of t.idp.routes) {
    for (const value of GARBAGE_PARAMS) {
      const url = `${t.url}${fill(path, value)}?state=${value}&code=${value}&id=${value}&size=${value}`;
      const attempts = method === 'GET' ? [{ body: undefined as string | Uint8Array | undefined, type: undefined as string | undefined }] : BODIES;
      for (const a of attempts) {
        const res = await browser.raw(url, { method, body: a.body as string | undefined, headers: a.type ? { 'content-type': a.type } : {} });
        const text = await res.text();
        if (res.status >= 500 || /\n\s+at .+:\d+:\d+/.test(text)) problems.push(`${method} ${fill(path, value).slice(0, 80)} (${a.type ?? 'none'}) → ${res.status}`);
      }
    }
  }
  return problems;
}

describe('every route', () => {
  it('has routes to visit', () => {
    expect(t.idp.routes.length).toBeGreaterThan(20);
  });

  it('answers garbage from an anonymous visitor with a 4xx', async () => {
    expect(await visitAll(new Browser(t.issuer))).toEqual([]);
  });

  it('answers garbage from a logged-in user with a 4xx, and moves no counter', async () => {
    const browser = new Browser(t.issuer);
    await login(browser, await relyingParty(t.issuer), MARIO);
    const before = await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal');
    expect(await visitAll(browser)).toEqual([]);
    const after = await t.idp.services.passwords.get(`C.${MARIO.fiscal_code}`, 'personal');
    expect(after?.failures).toBe(before?.failures);
    expect(after?.hash).toBe(before?.hash);
  });
});
