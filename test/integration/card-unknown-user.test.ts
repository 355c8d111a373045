// A level that names the card step directly: an unknown user gets the same page and the same
// refusal as anyone else, never an error that would tell them apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formFields } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, relyingParty } from '../helpers/rp.ts';

let t: TestIdp;
beforeAll(async () => {
  t = await startIdp({
    overrides: {
      levels: [{ acr: 'urn:idp:loa:1', steps: ['identify', 'password'] }, { acr: 'urn:test:card', steps: ['identify', 'card'] }],
      backofficeAcr: 'urn:idp:loa:1',
      strongAcr: 'urn:idp:loa:1',
    },
  });
});
afterAll(async () => t?.close());

describe('card step for someone unknown', () => {
  it('shows two cells and refuses the answer like a wrong one', async () => {
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(await relyingParty(t.issuer), { acr_values: 'urn:test:card' });
    const page = await browser.submit(await browser.go(started.url), { fiscal_code: 'BNCGPP80A01H501E' });
    expect(page.status).toBe(200);
    expect(formFields(page)).toEqual(expect.arrayContaining(['card_1', 'card_2']));
    const cells = page.doc.querySelectorAll('[data-cell]').map((e) => e.getAttribute('data-cell'));
    expect(cells).toHaveLength(2);
    const refused = await browser.submit(page, { card_1: '123', card_2: '456' });
    expect(refused.status).toBe(401);
    // The same cells again: it looks like a standing challenge.
    expect(refused.doc.querySelectorAll('[data-cell]').map((e) => e.getAttribute('data-cell'))).toEqual(cells);
  });
});
