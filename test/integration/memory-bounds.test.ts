// Memory bounds: anonymous visitors cannot make the IdP store anything by opening account pages
// (the page to return to travels in the OAuth state, under a MAC); an import file over
// IMPORT_MAX_BYTES is refused before it is read; an upload over the limit is answered 413 after
// its body has been read (and thrown away), so the browser sees the page.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { MEMBER_DATA, tempDir } from '../helpers/member-data.ts';
import { FILES, submitUpload } from '../helpers/upload.ts';
import { ImportError, readImportFile } from '../../src/provisioning/import.ts';

let t: TestIdp;
const MAX = 64 * 1024;
beforeAll(async () => {
  t = await startIdp({ data: MEMBER_DATA, overrides: { importMaxBytes: 10_000, documents: { dir: path.join(tempDir('bounds'), 'docs'), maxBytes: MAX, retentionDays: 90 } } });
});
afterAll(async () => t?.close());

const storedKeys = async () => (await t.idp.store.redis.keys(`${t.config.redisPrefix}*`)).length;

describe('anonymous account pages', () => {
  it.runIf(realRedis)('store nothing, however long the URL', async () => {
    const before = await storedKeys();
    const long = 'x'.repeat(14 * 1024);
    for (let i = 0; i < 50; i += 1) {
      const res = await fetch(`${t.url}/account/credentials?q=${long}${i}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      // The redirect's state carries the page back only when it is short; this one goes home.
      expect(res.headers.get('location')!.length).toBeLessThan(2048);
    }
    expect(await storedKeys()).toBe(before);
  });

  it('come back to the page asked for, and refuse a state whose MAC does not hold', async () => {
    const res = await fetch(`${t.url}/account/credentials?tab=card`, { redirect: 'manual' });
    const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
    const back = await fetch(`${t.url}/account/cb?state=${encodeURIComponent(state)}&code=x`, { redirect: 'manual' });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/account/credentials?tab=card');
    const [nonce, , mac] = state.split('.');
    const forged = `${nonce}.${Buffer.from('/account/../evil').toString('base64url')}.${mac}`;
    const refused = await new Browser(t.issuer).go(`${t.url}/account/cb?state=${encodeURIComponent(forged)}&code=x`);
    expect(refused.status).toBe(400);
  });
});

describe('import files', () => {
  it('are refused over IMPORT_MAX_BYTES before being read', () => {
    const file = path.join(tempDir('import'), 'big.json');
    writeFileSync(file, JSON.stringify({ citizens: [], padding: 'x'.repeat(20_000) }));
    expect(() => readImportFile(file, t.idp.services)).toThrow(ImportError);
    expect(() => readImportFile(file, t.idp.services)).toThrow(/larger than IMPORT_MAX_BYTES \(10000\)/);
  });
});

describe('uploads over the limit', () => {
  it('get the 413 page after the body is read, not a reset connection', async () => {
    const browser = new Browser(t.issuer);
    const form = await browser.go(`${t.url}/channel-reset`);
    const big = { ...FILES.png, data: Buffer.concat([FILES.png.data, Buffer.alloc(MAX + 2 * 1024 * 1024)]) };
    const res = await submitUpload(browser, form, { fiscal_code: 'FRRBRN75C12L219B', member_code: 'M0000002' }, big);
    expect(res.status).toBe(413);
    expect(res.alert).toMatch(/larger than allowed/);
  });
});
