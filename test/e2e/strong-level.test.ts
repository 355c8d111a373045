// The level that guards credential changes is configuration (STRONG_ACR), checked against the level
// table at start. With the levels renamed, a password-only session is refused on every page that
// changes a credential: pages send it through a step-up at the strong level, posts (even with a
// valid form token) are refused and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { cardsOf } from '../../interactions/card/cards.ts';
import { totpOf } from '../../interactions/totp/devices.ts';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { enterCredentials } from '../helpers/rp.ts';
import { enrolApp, MARIO_ID, printCard, SF_DATA } from '../helpers/second-factor-data.ts';

const BASIC = 'urn:bank:basic';
const STRONG = 'urn:bank:strong';
const ENV = {
  LEVELS: JSON.stringify([{ acr: BASIC, steps: ['identify', 'password'] }, { acr: STRONG, steps: ['identify', 'password', '<second-factor>'] }]),
  DEFAULT_ACR: BASIC, STRONG_ACR: STRONG, BACKOFFICE_ACR: STRONG, ADMINISTRATION_ACR: BASIC,
};

// Every page that changes a credential of the signed-in user.
const PAGES = ['/account/card', '/account/totp/setup', '/account/totp/sync', '/account/totp/remove', '/account/credentials/delete-mobile'];
const POSTS: [string, string][] = [
  ['/account/card/print', 'size=normal'],
  ['/account/totp/setup', 'totp=123456'],
  ['/account/totp/sync', 'totp=123456&totp_next=654321'],
  ['/account/totp/remove', ''],
  ['/account/credentials/delete-mobile', ''],
];

let t: TestIdp;
beforeAll(async () => { t = await startIdp({ data: SF_DATA, env: ENV }); });
afterAll(async () => t?.close());

describe('the strong level is a setting', () => {
  it('must name a level of the table', () => {
    expect(() => loadConfig({ ...ENV, STRONG_ACR: 'urn:idp:loa:2' })).toThrow(/STRONG_ACR \(strongAcr\): urn:idp:loa:2 is not one of the levels/);
  });

  it('lists every credential-changing route of the product here', () => {
    const changing = t.idp.routes.filter((r) => /^\/account\/(card|totp|credentials\/delete-mobile)/.test(r.path) && !r.path.includes('download'));
    const listed = new Set([...PAGES.map((p) => `GET ${p}`), ...POSTS.map(([p]) => `POST ${p}`)]);
    for (const r of changing) expect(listed, `${r.method} ${r.path}`).toContain(`${r.method} ${r.path}`);
  });

  it('refuses a password-only session on every credential-changing page, whatever the levels are called', async () => {
    const card = await printCard(t);
    await enrolApp(t);
    const appBefore = await totpOf(t.idp.services).status(MARIO_ID);
    const browser = new Browser(t.issuer);
    const account = await enterCredentials(browser, await browser.go(`${t.url}/account`), MARIO);
    // The level is named for people (a level the strings do not name: by its place in the table).
    expect(account.doc.querySelector('#account-acr')?.text).toBe('Level 1');
    for (const path of PAGES) {
      const res = await browser.raw(`${t.url}${path}`);
      expect(res.status, path).toBe(302);
      const to = new URL(res.headers.get('location')!);
      expect(to.pathname, path).toBe('/auth');
      expect(to.searchParams.get('acr_values'), path).toBe(STRONG);
    }
    const token = (await browser.go(`${t.url}/account/password/personal`)).doc.querySelector('input[name=csrf]')?.getAttribute('value');
    expect(token).toBeTruthy();
    for (const [path, body] of POSTS) {
      const res = await browser.raw(`${t.url}${path}`, { method: 'POST', body: `csrf=${token}${body ? `&${body}` : ''}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).toMatch(/second factor/);
    }
    // Nothing changed.
    expect((await cardsOf(t.idp.services).read(MARIO_ID))?.serial).toBe(card.serial);
    expect(await totpOf(t.idp.services).status(MARIO_ID)).toEqual(appBefore);
  });
});
