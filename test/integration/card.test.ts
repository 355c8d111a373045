// The Security Card at login: stable challenge, lockout, reprint, single-use (NIST) mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { Browser, type Page } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty, type Started } from '../helpers/rp.ts';
import { askedCells, cardAnswer, MARIO_ID, printCard, SF_DATA, wrongAnswer } from '../helpers/second-factor-data.ts';
import { cardsOf } from '../../interactions/card/cards.ts';
import { runCli } from '../../src/cli/main.ts';

let a: TestIdp;
let b: TestIdp;
let rp: oidc.Configuration;

beforeAll(async () => {
  a = await startIdp({ data: SF_DATA });
  b = await startIdp({ data: null, overrides: { redisPrefix: a.config.redisPrefix, issuer: a.issuer } });
  rp = await relyingParty(a.issuer, 'card-only', 'card-only-secret-0123');
});
afterAll(async () => { await b?.close(); await a?.close(); });

/** A new login at loa:2 up to the card page, on instance `via`. */
async function atCardPage(via: TestIdp = a): Promise<{ browser: Browser; page: Page; started: Started }> {
  const browser = new Browser(a.issuer);
  browser.via = via.url;
  const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
  const page = await enterCredentials(browser, await browser.go(started.url), MARIO);
  return { browser, page, started };
}

describe('card challenge', () => {
  it('asks for two distinct cells and keeps them across reloads, new logins and a second process', async () => {
    const card = await printCard(a);
    const first = await atCardPage(a);
    const cells = askedCells(first.page);
    expect(cells[0]).not.toBe(cells[1]);
    for (const c of cells) expect(c).toBeGreaterThanOrEqual(1), expect(c).toBeLessThanOrEqual(50);
    expect(first.page.doc.querySelector('input[name=card_1]')).toBeTruthy();
    expect(first.page.doc.querySelector('input[name=card_2]')).toBeTruthy();

    const reloaded = await first.browser.go(first.page.url);
    expect(askedCells(reloaded)).toEqual(cells);
    const again = await atCardPage(a);
    expect(askedCells(again.page)).toEqual(cells);
    const elsewhere = await atCardPage(b);
    expect(askedCells(elsewhere.page)).toEqual(cells);
    // A wrong answer does not change them either.
    const wrong = await elsewhere.browser.submit(elsewhere.page, wrongAnswer(card, elsewhere.page));
    expect(wrong.status).toBe(401);
    expect(askedCells(wrong)).toEqual(cells);

    // Answered right (on the other process): the login finishes with the card's amr.
    const done = await first.browser.submit(reloaded, cardAnswer(card, reloaded));
    const tokens = await exchange(rp, first.started, done.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp', 'pop'] });
    expect((await cardsOf(a.idp.services).status(MARIO_ID))?.failures).toBe(0);
  });

  it('refuses malformed values with a 400 that counts nothing', async () => {
    await printCard(a);
    const { browser, page } = await atCardPage();
    for (const bad of [{ card_1: '12', card_2: '345' }, { card_1: 'abc', card_2: '123' }, { card_1: '123' }]) {
      const res = await browser.submit(page, bad as Record<string, string>);
      expect(res.status).toBe(400);
      expect(res.alert).toBeTruthy();
    }
    expect((await cardsOf(a.idp.services).status(MARIO_ID))?.failures).toBe(0);
  });

  it('locks after the 7th consecutive wrong answer; then the right one is refused alike, until unlocked', async () => {
    const card = await printCard(a);
    const { browser, page } = await atCardPage();
    const cells = askedCells(page);
    let current = page;
    const alerts = new Set<string>();
    for (let i = 0; i < 7; i += 1) {
      current = await browser.submit(current, wrongAnswer(card, current));
      expect(current.status).toBe(401);
      alerts.add(current.alert!);
    }
    expect(await cardsOf(a.idp.services).status(MARIO_ID)).toMatchObject({ locked: true, failures: 7 });
    // Locked: the same cells, the same message, and the right answer is refused.
    expect(askedCells(current)).toEqual(cells);
    const refused = await browser.submit(current, cardAnswer(card, current));
    expect(refused.status).toBe(401);
    alerts.add(refused.alert!);
    expect(alerts.size).toBe(1);
    expect(askedCells(refused)).toEqual(cells);

    const events = await a.idp.services.audit.recent(200, { subject: MARIO_ID, event: 'login.card' });
    expect(events.slice(-8).map((e) => e.reason)).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'locked_now', 'locked']);

    // The wrong answers also counted against the account's abuse limits: the unlock clears those too.
    const counters = [`rl:acct:{${MARIO_ID}}`, `rl:slow:{${MARIO_ID}}`];
    expect(Number(await a.idp.store.redis.get(counters[0]!))).toBeGreaterThanOrEqual(8);
    expect(await runCli(['card', 'unlock', MARIO.fiscal_code], a.config, a.idp.store)).toMatch(/unlocked the Security Card/);
    expect(await a.idp.store.redis.exists(...counters)).toBe(0);
    const unlocks = await a.idp.services.audit.recent(200, { subject: MARIO_ID, event: 'credential.unlock' });
    expect(unlocks.at(-1)).toMatchObject({ actor: 'cli', reason: 'card' });
    const fresh = await atCardPage();
    const done = await fresh.browser.submit(fresh.page, cardAnswer(card, fresh.page));
    expect(done.left).toBeTruthy();
  });

  it('a page left open on cells that have changed since is shown again, not counted', async () => {
    const card = await printCard(a);
    const { browser, page } = await atCardPage();
    const other = await atCardPage();
    await other.browser.submit(other.page, cardAnswer(card, other.page)); // answered: new cells next time
    const stale = await browser.submit(page, cardAnswer(card, page));
    expect(stale.status).toBe(409);
    expect((await cardsOf(a.idp.services).status(MARIO_ID))?.failures).toBe(0);
    const done = await browser.submit(stale, cardAnswer(card, stale));
    expect(done.left).toBeTruthy();
  });

  it('an answer to the challenge of a card reprinted meanwhile is stale, not counted', async () => {
    const old = await printCard(a);
    const cards = cardsOf(a.idp.services);
    const ch = await cards.challenge(MARIO_ID);
    if (ch.status !== 'ok') throw new Error(ch.status);
    await cards.issue(MARIO_ID); // between the challenge read and the answer
    const r = await cards.answer(MARIO_ID, ch, [old.values[ch.cells[0] - 1]!, old.values[ch.cells[1] - 1]!]);
    expect(r.outcome).toBe('stale');
    expect((await cards.status(MARIO_ID))?.failures).toBe(0);
  });

  it('printing at the counter voids the old card at once (audit event)', async () => {
    const old = await printCard(a);
    const { browser, page } = await atCardPage();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'card-'));
    const file = path.join(dir, 'card.pdf');
    const out = await runCli(['card', 'print', MARIO.fiscal_code, '--size', 'small', '--out', file], a.config, a.idp.store);
    const fresh = (await cardsOf(a.idp.services).read(MARIO_ID))!;
    expect(out).toContain(`printed Security Card ${fresh.serial} (small)`);
    expect(out).toContain(`card ${old.serial} is void`);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');

    // The login in progress asked for cells of the old card: those values no longer work.
    const reloaded = await browser.go(page.url);
    const refused = await browser.submit(reloaded, cardAnswer(old, reloaded));
    expect(refused.status).toBe(401);
    const done = await browser.submit(refused, cardAnswer(fresh, refused));
    expect(done.left).toBeTruthy();

    const events = await a.idp.services.audit.recent(50, { subject: MARIO_ID, event: 'card.print' });
    expect(events.at(-1)).toMatchObject({ actor: 'cli', outcome: 'success' });
    expect(events.at(-1)!.reason).toContain(fresh.serial);
    await expect(runCli(['card', 'print', MARIO.fiscal_code, '--size', 'huge', '--out', file], a.config, a.idp.store)).rejects.toThrow(/--size/);
    await expect(runCli(['card', 'print', MARIO.fiscal_code, '--out', path.join(dir, 'no', 'such', 'dir.pdf')], a.config, a.idp.store)).rejects.toThrow(/nothing changed/);
    expect((await cardsOf(a.idp.services).read(MARIO_ID))!.serial).toBe(fresh.serial);
  });
});

describe('single-use cells (NIST SP 800-63B mode)', () => {
  let n: TestIdp;
  beforeAll(async () => { n = await startIdp({ data: SF_DATA, overrides: { card: { singleUseCells: true, maxFailures: 7 } } }); });
  afterAll(async () => n?.close());

  it('accepts each cell once, and after the last ones sends the user to print a new card', async () => {
    const cards = cardsOf(n.idp.services);
    const card = await cards.issue(MARIO_ID);
    const seen = new Set<number>();
    // 24 logins' worth of answers use 48 cells, each asked once.
    for (let i = 0; i < 24; i += 1) {
      const ch = await cards.challenge(MARIO_ID);
      if (ch.status !== 'ok') throw new Error(ch.status);
      for (const c of ch.cells) { expect(seen.has(c)).toBe(false); seen.add(c); }
      const r = await cards.answer(MARIO_ID, ch, [card.values[ch.cells[0] - 1]!, card.values[ch.cells[1] - 1]!]);
      expect(r.outcome).toBe('ok');
    }
    expect((await cards.status(MARIO_ID))?.unused).toBe(2);

    // The 25th login uses the last two cells, then must print a new card before going on.
    const nrp = await relyingParty(n.issuer, 'card-only', 'card-only-secret-0123');
    const browser = new Browser(n.issuer);
    const started = await authorizationUrl(nrp, { acr_values: 'urn:idp:loa:2' });
    const cardPage = await enterCredentials(browser, await browser.go(started.url), MARIO);
    for (const c of askedCells(cardPage)) expect(seen.has(c)).toBe(false);
    const reprint = await browser.submit(cardPage, cardAnswer(card, cardPage));
    expect(reprint.status).toBe(200);
    expect(reprint.doc.querySelector('input[name=size]')).toBeTruthy();
    const ready = await browser.submit(reprint, { size: 'large' });
    const fresh = (await cards.read(MARIO_ID))!;
    expect(fresh.serial).not.toBe(card.serial);
    const href = ready.doc.querySelector('#card-download')!.getAttribute('href')!;
    const pdf = await browser.raw(new URL(href, n.url).href);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect((await browser.raw(new URL(href, n.url).href)).status).toBe(404); // one use
    const done = await browser.submit(ready, {});
    const tokens = await exchange(nrp, started, done.left!);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'pop']);
    expect((await cards.status(MARIO_ID))?.unused).toBe(50);
  });

  it('a used-up card cannot answer: the user is told to print a new one', async () => {
    const cards = cardsOf(n.idp.services);
    const card = await cards.issue(MARIO_ID);
    for (let i = 0; i < 25; i += 1) {
      const ch = await cards.challenge(MARIO_ID);
      if (ch.status !== 'ok') throw new Error(ch.status);
      await cards.answer(MARIO_ID, ch, [card.values[ch.cells[0] - 1]!, card.values[ch.cells[1] - 1]!]);
    }
    expect((await cards.challenge(MARIO_ID)).status).toBe('exhausted');
    const nrp = await relyingParty(n.issuer, 'card-only', 'card-only-secret-0123');
    const browser = new Browser(n.issuer);
    const page = await enterCredentials(browser, await browser.go((await authorizationUrl(nrp, { acr_values: 'urn:idp:loa:2' })).url), MARIO);
    expect(page.status).toBe(403);
    expect(page.alert).toMatch(/used up/);
  });
});
