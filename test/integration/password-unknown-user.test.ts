// The password page's refusal reads the same for an unknown user as for a known one of the same
// kind, even when the kinds lock after different numbers of failures (the count is in the message).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';
import { DEFAULTS } from '../../src/config.ts';

let t: TestIdp;
beforeAll(async () => {
  t = await startIdp({
    overrides: { passwords: { ...DEFAULTS.passwords, administrator: { ...DEFAULTS.passwords.administrator, maxFailures: 4 } } },
  });
});
afterAll(async () => t?.close());

async function refusal(who: Record<string, string>) {
  const browser = new Browser(t.issuer);
  const started = await authorizationUrl(await relyingParty(t.issuer));
  const page = await browser.submit(await browser.go(started.url), { ...who, password: 'Wrong-Password-1' });
  expect(page.status).toBe(401);
  return page.alert;
}

describe('a wrong password', () => {
  it('reads the same for an unknown company administrator as for a known one', async () => {
    const known = await refusal({ company_code: '12345678' });
    expect(known).toContain('4');
    expect(await refusal({ company_code: '87654321' })).toBe(known);
  });
});
