// loa:2 with the real second factors, through openid-client; the services' accepted methods; the
// self-service credentials pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { formatters } from '../../src/http/format.ts';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty } from '../helpers/rp.ts';
import { cardAnswer, enrolApp, MARIO_ID, printCard, secretOf, SF_DATA, totpCode } from '../helpers/second-factor-data.ts';
import { cardsOf, type Card } from '../../interactions/card/cards.ts';
import { totpOf } from '../../interactions/totp/devices.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';

const STEP = 30_000;
const clock = new ManualClock(Math.floor(Date.now() / STEP) * STEP + STEP / 2);
let t: TestIdp;

beforeAll(async () => { t = await startIdp({ data: SF_DATA, options: { clock } }); });
afterAll(async () => t?.close());

async function startLogin(clientId: string, secret: string) {
  const rp = await relyingParty(t.issuer, clientId, secret);
  const browser = new Browser(t.issuer);
  const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
  const page = await enterCredentials(browser, await browser.go(started.url), MARIO);
  return { rp, browser, started, page };
}

describe('loa:2 with a second factor', () => {
  it('logs in with the Security Card: acr loa:2, amr pwd + otp + pop', async () => {
    const card = await printCard(t);
    const { rp, browser, started, page } = await startLogin('card-only', 'card-only-secret-0123');
    const done = await browser.submit(page, cardAnswer(card, page));
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp', 'pop'] });
  });

  it('logs in with the authenticator app: amr pwd + otp + swk', async () => {
    const secret = await enrolApp(t);
    clock.advance(2 * STEP);
    const { rp, browser, started, page } = await startLogin('totp-only', 'totp-only-secret-0123');
    expect(formFields(page)).toContain('totp');
    const wrong = await browser.submit(page, { totp: '000000' === await totpCode(secret, clock.now()) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const done = await browser.submit(wrong, { totp: await totpCode(secret, clock.now()) });
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp', 'swk'] });
  });

  it('offers a choice when both apply, and only the accepted method to a service that names one', async () => {
    const card = await printCard(t);
    await enrolApp(t);
    const both = await startLogin('rp', 'rp-secret-0123456789');
    const options = both.page.doc.querySelectorAll('input[name=method]').map((i) => i.getAttribute('value'));
    expect(options.sort()).toEqual(['card', 'totp']);
    const cardPage = await both.browser.submit(both.page, { method: 'card' });
    const done = await both.browser.submit(cardPage, cardAnswer(card, cardPage));
    expect((await exchange(both.rp, both.started, done.left!)).claims()!.amr).toEqual(['pwd', 'otp', 'pop']);

    const only = await startLogin('card-only', 'card-only-secret-0123');
    expect(formFields(only.page)).toEqual(expect.arrayContaining(['card_1', 'card_2']));
    expect(formFields(only.page)).not.toContain('method');
    const app = await startLogin('totp-only', 'totp-only-secret-0123');
    expect(formFields(app.page)).toContain('totp');
  });

  it('refuses a client whose accepted_methods names no installed second factor', async () => {
    const bad = { clients: [{ client_id: 'bad', client_secret: 'bad-secret-0123456789', redirect_uris: ['http://127.0.0.1:9/cb'], accepted_methods: ['carrier-pigeon'] }] };
    await expect(applyImport(parseImport(JSON.stringify(bad), 'bad.json', t.idp.services), t.idp.services, t.idp.provider)).rejects.toThrow(/accepted_methods/);
    const empty = { clients: [{ ...bad.clients[0]!, accepted_methods: [] }] };
    await expect(applyImport(parseImport(JSON.stringify(empty), 'bad.json', t.idp.services), t.idp.services, t.idp.provider)).rejects.toThrow(/accepted_methods/);
  });
});

describe('self-service credentials', () => {
  /** Follows a page that needs loa:2 through the login, answering with the card. */
  async function strongPage(browser: Browser, url: string, card: Card): Promise<Page> {
    let page = await browser.go(url);
    page = await enterCredentials(browser, page, MARIO);
    if (formFields(page).includes('method')) page = await browser.submit(page, { method: 'card' });
    if (formFields(page).includes('card_1')) page = await browser.submit(page, cardAnswer(card, page));
    return page;
  }

  it('shows the methods, reprints the card (voiding the old one), sets up the app, and deletes both', async () => {
    await totpOf(t.idp.services).remove(MARIO_ID);
    const old = await printCard(t);
    const browser = new Browser(t.issuer);

    // Looking needs only a login; the card's serial and date, the password's age are shown.
    const creds = await enterCredentials(browser, await browser.go(`${t.url}/account/credentials`), MARIO);
    expect(creds.doc.querySelector('#card-serial')?.text).toBe(old.serial);
    // Dates as the language writes them (en-GB: 29/11/2026), the ISO date in <time datetime>.
    expect(creds.doc.querySelector('#card-issued time')?.getAttribute('datetime')).toBe(formatters('en').iso(old.issuedAt));
    expect(creds.doc.querySelector('#card-issued')?.text).toBe(new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Europe/Rome' }).format(old.issuedAt));
    expect(creds.doc.querySelector('#password-age')?.text).toMatch(/^(today|yesterday|\d+ days ago)$/);
    expect(creds.doc.querySelector('#totp-state')?.text).toBe('not set up');

    // A posted reprint without a loa:2 session is refused and changes nothing, even with a valid form token.
    const token = (await browser.go(`${t.url}/account/password/personal`)).doc.querySelector('input[name=csrf]')?.getAttribute('value');
    expect(token).toBeTruthy();
    const direct = await browser.go(`${t.url}/account/card/print`, { method: 'POST', body: `csrf=${token}&size=normal`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(direct.status).toBe(403);
    expect(direct.alert).toMatch(/second factor/);
    expect((await cardsOf(t.idp.services).read(MARIO_ID))!.serial).toBe(old.serial);

    // Printing asks for loa:2 (here: the old card), then makes a new card to download.
    const print = await strongPage(browser, `${t.url}/account/card`, old);
    expect(print.url).toBe(`${t.issuer}/account/card`);
    const badSize = await browser.submit(print, { size: 'poster' });
    expect(badSize.status).toBe(400);
    expect((await cardsOf(t.idp.services).read(MARIO_ID))!.serial).toBe(old.serial);
    const printed = await browser.submit(print, { size: 'small' });
    const fresh = (await cardsOf(t.idp.services).read(MARIO_ID))!;
    expect(fresh.serial).not.toBe(old.serial);
    const pdf = await browser.raw(new URL(printed.doc.querySelector('#card-download')!.getAttribute('href')!, t.url).href);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await t.idp.services.audit.recent(20, { event: 'card.print', subject: MARIO_ID })).at(-1)?.actor).toBe(MARIO_ID);

    // The app: QR code as an image and the otpauth:// URI as text; confirmed by its first code.
    const setup = await browser.go(`${t.url}/account/totp/setup`);
    expect(setup.doc.querySelector('#totp-qr')?.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const uri = setup.doc.querySelector('#totp-uri')!.text;
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    const secret = secretOf(uri);
    expect((await browser.go(`${t.url}/account/totp/setup`)).doc.querySelector('#totp-uri')!.text).toBe(uri); // a reload: same secret
    const refused = await browser.submit(setup, { totp: (await totpCode(secret, clock.now() + 10 * STEP)) });
    expect(refused.status).toBe(401);
    const confirmed = await browser.submit(refused, { totp: await totpCode(secret, clock.now()) });
    expect(confirmed.status).toBe(200);
    expect(await totpOf(t.idp.services).status(MARIO_ID)).toBeDefined();

    // Synchronise with two consecutive codes of a phone two minutes late.
    clock.advance(4 * STEP);
    const sync = await browser.go(`${t.url}/account/totp/sync`);
    const late = clock.now() - 2 * 60_000;
    const synced = await browser.submit(sync, { totp: await totpCode(secret, late), totp_next: await totpCode(secret, late + STEP) });
    expect(synced.status).toBe(200);
    expect((await totpOf(t.idp.services).status(MARIO_ID))?.offset).toBe(-3);

    const after = await browser.go(`${t.url}/account/credentials`);
    expect(after.doc.querySelector('#card-serial')?.text).toBe(fresh.serial);
    expect(after.doc.querySelector('#totp-state')?.text).toBe('active');

    // Delete mobile credentials: back to certificate / smart card only.
    const confirm = await browser.go(`${t.url}/account/credentials/delete-mobile`);
    const deleted = await browser.submit(confirm, {});
    expect(deleted.status).toBe(200);
    expect(await cardsOf(t.idp.services).status(MARIO_ID)).toBeUndefined();
    expect(await totpOf(t.idp.services).status(MARIO_ID)).toBeUndefined();
    const events = await t.idp.services.audit.recent(20, { subject: MARIO_ID });
    expect(events.some((e) => e.event === 'credentials.delete_mobile' && e.reason === '2 removed')).toBe(true);
    const none = await startLogin('rp', 'rp-secret-0123456789');
    expect(none.page.status).toBe(403);
  });
});
