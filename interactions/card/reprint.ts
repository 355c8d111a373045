// Required action after a login that used the last unused cells of a card (single-use mode): the
// user prints the new card before going on. The old card is void as soon as the new one is made; the
// PDF is fetched with a one-time ticket, then "continue" finishes the login.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { CARD_SIZES, cardsOf } from './cards.ts';

const form = z.object({ size: z.enum(CARD_SIZES, { error: 'card.size_invalid' }).optional() });

export const cardReprint = defineStep({
  id: 'card-reprint',
  state: z.object({ ticket: z.string() }),
  kind: 'required-action',
  amr: [],
  requiresUser: true,
  form,
  async render(ctx) {
    const ticket = ctx.state?.ticket;
    if (ticket) return { view: 'interactions/card/reprint-ready', data: { href: `/account/card/download/${ticket}` } };
    return { view: 'interactions/card/reprint', data: { sizes: CARD_SIZES } };
  },
  async action(ctx, f) {
    const account = ctx.account;
    if (!account) return { type: 'failure', page: { ...(await this.render(ctx)), error: 'error.unexpected' } };
    if (ctx.state) return { type: 'success' };
    const cards = cardsOf(ctx.services);
    const old = await cards.status(account.id);
    const card = await cards.issue(account.id);
    const size = f.size ?? 'normal';
    ctx.setState({ ticket: await cards.downloadTicket(account.id, card.serial, size, ctx.flow.locale) });
    await ctx.audit({ event: 'card.print', outcome: 'success', actor: account.id, reason: `serial ${card.serial}, ${size}, replaces ${old?.serial ?? 'none'} (used up)` });
    return { type: 'challenge', page: { ...(await this.render(ctx)), status: 200 } };
  },
});
