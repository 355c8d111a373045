// Security Card step (second factor): asks for the values of two cells of the user's printed card.
// The cells stay the same until answered right, across reloads, new logins and processes (kept in
// Redis per user). A wrong answer, a locked card and a stale page look alike to the user; the audit
// log tells them apart.
import { z } from 'zod';
import { defineStep, type StepContext } from '../../src/flow/step.ts';
import { cardsOf, type Challenge } from './cards.ts';
import { cardKeys } from './keys.ts';
import { cardSettings } from './settings.ts';

const value = z.string({ error: 'form.invalid' }).max(16, { error: 'form.too_long' })
  .transform((v) => v.replace(/\s+/g, '')).pipe(z.string().regex(/^\d{3}$/, { error: 'card.format' }));

const form = z.object({
  card_1: value,
  card_2: value,
  // The cells the page asked for: a page left open while the challenge changed is not counted.
  cells: z.string().max(10).optional(),
});

/** The card's page, for the challenge `known` when the caller has just read it. */
async function page(ctx: StepContext, known?: Challenge) {
  if (!ctx.account) {
    // Nobody by that name (only possible when a level names this step directly): the same page.
    const cells = cardsOf(ctx.services).decoy(ctx.flow.identified?.name ?? '', 'unknown');
    return { view: 'interactions/card/page', data: { cells, challenge: cells.join(',') } };
  }
  const ch = known ?? await cardsOf(ctx.services).challenge(ctx.account.id);
  if (ch.status === 'exhausted' || ch.status === 'none') {
    return { view: 'interactions/card/exhausted', error: ch.status === 'none' ? 'card.rejected' : 'card.exhausted', status: 403 };
  }
  return { view: 'interactions/card/page', data: { cells: ch.cells, challenge: ch.cells.join(',') } };
}

export const cardStep = defineStep({
  id: 'card',
  kind: 'login',
  slot: 'second-factor',
  // RFC 8176 has no value for a printed grid: "otp" (a code that changes at each login) with "pop"
  // (proof of possession of the card's secret), distinct from email ["otp"], SMS ["otp","sms"] and
  // the authenticator app ["otp","swk"].
  amr: ['otp', 'pop'],
  requiresUser: true,
  form,
  async configuredFor(ctx, account) {
    return (await ctx.services.redis.exists(cardKeys.card(account.id))) === 1;
  },
  render: (ctx) => page(ctx),
  async action(ctx, f) {
    const account = ctx.account;
    if (!account) return { type: 'failure', page: { ...(await page(ctx)), error: 'card.rejected' } };
    const cards = cardsOf(ctx.services);
    const ch = await cards.challenge(account.id);
    if (ch.status === 'exhausted' || ch.status === 'none') return { type: 'challenge', page: await page(ctx, ch) };
    if (f.cells !== undefined && f.cells !== ch.cells.join(',')) {
      return { type: 'challenge', page: { ...(await page(ctx, ch)), notice: 'card.cells_changed', status: 409 } };
    }
    const result = await cards.answer(account.id, ch, [f.card_1, f.card_2]);
    if (result.outcome === 'ok') {
      await ctx.audit({ event: 'login.card', outcome: 'success', reason: ch.serial });
      // Single-use mode: a card without two unused cells left must be replaced before going on.
      const exhausted = cardSettings.of(ctx.services.config).singleUseCells && result.unused < 2;
      return { type: 'success', requiredActions: exhausted ? [{ id: 'card-reprint' }] : [] };
    }
    await ctx.audit({ event: 'login.card', outcome: 'failure', reason: result.outcome });
    if (result.outcome === 'locked_now') await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: 'card' });
    // A wrong answer leaves the cells as they were (locked or not); only after a race (reprinted or
    // answered elsewhere meanwhile) are they read again.
    const now = result.outcome === 'stale' || result.outcome === 'none' ? undefined : ch;
    return { type: 'failure', page: { ...(await page(ctx, now)), error: 'card.rejected', errorParams: { max: cardSettings.of(ctx.services.config).maxFailures } } };
  },
});
