// Self-service for the Security Card: its line on the credentials page, printing a new card (needs a
// session at the strong level: the old card, the app or a certificate), and the one-time download.
import { z } from 'zod';
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { pageLocale, showPage } from '../../src/self-service/page.ts';
import { requireSession } from '../../src/self-service/session.ts';
import { formPost } from '../../src/http/form-post.ts';
import type { Services } from '../../src/services.ts';
import type { Account } from '../../src/accounts/accounts.ts';
import { CARD_SIZES, cardsOf, type Card } from './cards.ts';
import { cardPdf } from './card-pdf.ts';
import { cardSettings } from './settings.ts';

const printForm = z.object({ size: z.enum(CARD_SIZES, { error: 'card.size_invalid' }) });

function holderOf(account: { givenName?: string; familyName?: string; fiscalCode?: string; id: string }) {
  return { name: [account.givenName, account.familyName].filter(Boolean).join(' ') || account.id, id: account.fiscalCode ?? account.id };
}

/** The PDF of exactly this card (already read and checked) for this account's holder. */
export async function renderCard(s: Services, account: Account, card: Card, size: (typeof CARD_SIZES)[number], locale: string): Promise<{ pdf: Buffer; serial: string }> {
  const pdf = await cardPdf(card, holderOf(account), size, (k, p) => s.views.strings.t(locale, k, p), locale);
  return { pdf, serial: card.serial };
}

export const cardAccount: AccountPlugin = {
  async credentials(session, s) {
    const status = await cardsOf(s).status(session.account.id);
    const facts = status
      ? [
          { label: 'card.serial', value: status.serial, id: 'card-serial' },
          { label: 'card.issued', value: new Date(status.issuedAt).toISOString(), date: true, id: 'card-issued' },
          { label: 'card.state', value: status.locked ? 'card.state.locked' : 'card.state.active', translate: true, id: 'card-state' },
          ...(cardSettings.of(s.config).singleUseCells ? [{ label: 'card.unused', value: String(status.unused), id: 'card-unused' }] : []),
        ]
      : [{ label: 'card.state', value: 'card.state.none', translate: true, id: 'card-state' }];
    return { id: 'card', title: 'method.card', facts, actions: [{ href: '/account/card', label: status ? 'card.reprint' : 'card.print' }] };
  },

  async removeMobileCredential(accountId, s) {
    return cardsOf(s).remove(accountId);
  },

  routes(router, s) {
    router.get('/account/card', async (ctx) => {
      const session = await requireSession(ctx, s, { acr: s.config.strongAcr });
      if (!session) return;
      const status = await cardsOf(s).status(session.account.id);
      showPage(ctx, s, session, 'interactions/card/account-print', { status, sizes: CARD_SIZES });
    });

    router.post('/account/card/print', ...formPost(s), async (ctx) => {
      const session = await requireSession(ctx, s, { acr: s.config.strongAcr });
      if (!session) return;
      const parsed = printForm.safeParse(ctx.request.body);
      const cards = cardsOf(s);
      if (!parsed.success) {
        const status = await cards.status(session.account.id);
        return showPage(ctx, s, session, 'interactions/card/account-print', { status, sizes: CARD_SIZES }, { error: 'card.size_invalid' });
      }
      const id = session.account.id;
      const old = await cards.status(id);
      const card = await cards.issue(id);
      const ticket = await cards.downloadTicket(id, card.serial, parsed.data.size, pageLocale(ctx));
      await s.audit.record({ event: 'card.print', outcome: 'success', actor: id, subject: id, ip: ctx.ip, reason: `serial ${card.serial}, ${parsed.data.size}, replaces ${old?.serial ?? 'none'}` });
      showPage(ctx, s, session, 'interactions/card/account-printed', { serial: card.serial, href: `/account/card/download/${ticket}` });
    });

    // The ticket alone authorises the download (it is also used in the middle of a login, before there
    // is a session): 192 random bits, one use, 10 minutes, and only for the card it was made for.
    router.get('/account/card/download/:ticket', async (ctx) => {
      const found = await cardsOf(s).redeem(ctx.params.ticket ?? '');
      if (!found) return ctx.throw(404, 'error.card_download');
      const account = await s.accounts.findById(found.accountId);
      if (!account) return ctx.throw(404, 'error.card_download');
      const rendered = await renderCard(s, account, found.card, found.size, found.locale);
      await s.audit.record({ event: 'card.download', outcome: 'success', subject: found.accountId, ip: ctx.ip, reason: `serial ${rendered.serial}, ${found.size}` });
      ctx.type = 'application/pdf';
      ctx.set('cache-control', 'no-store');
      // The file's name in the language of the page it was printed from.
      ctx.set('content-disposition', `attachment; filename="${s.views.strings.t(found.locale, 'card.pdf.filename', { serial: rendered.serial })}"`);
      ctx.body = rendered.pdf;
    });
  },
};

