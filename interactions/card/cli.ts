// Back-office commands for the Security Card: print one at the counter (a new card voids the old),
// show its state, unlock it.
import { writeFileSync } from 'node:fs';
import { defineCommand, UsageError } from '../../src/cli/command.ts';
import { unlockAtCounter, userFromArgs } from '../../src/cli/user-arg.ts';
import { LOCALES } from '../../src/http/i18n.ts';
import { CARD_SIZES, cardsOf, type CardSize } from './cards.ts';
import { renderCard } from './account.ts';

export const cardCommand = defineCommand({
  name: 'card',
  usage: [
    `card print USER [OPERATOR] --out FILE.pdf [--size ${CARD_SIZES.join('|')}] [--lang it|en]   print a new Security Card (voids the old one)`,
    'card status USER [OPERATOR]             serial, issue date, lock of the Security Card',
    'card unlock USER [OPERATOR]             unlock a Security Card locked by wrong answers',
  ],
  options: { out: { type: 'string' }, size: { type: 'string' }, lang: { type: 'string' } },
  async run(args, values, ctx) {
    const [sub, ...who] = args;
    if (!sub || !['print', 'status', 'unlock'].includes(sub)) throw new UsageError('card: print, status or unlock');
    const { id, account, s } = await userFromArgs(ctx, who);
    const cards = cardsOf(s);

    if (sub === 'status') {
      const st = await cards.status(id);
      if (values.json) return JSON.stringify(st ? { ...st, issuedAt: new Date(st.issuedAt).toISOString() } : null);
      return st ? `card ${st.serial} issued ${new Date(st.issuedAt).toISOString().slice(0, 10)}, ${st.locked ? 'locked' : 'active'}, ${st.failures} failures, ${st.unused} unused cells` : `${who.join(' ')} has no Security Card`;
    }
    if (sub === 'unlock') {
      if (!(await cards.unlock(id))) throw new UsageError(`${who.join(' ')} has no Security Card`);
      await unlockAtCounter(s, id, 'card');
      return values.json ? JSON.stringify({ unlocked: id, kind: 'card' }) : `unlocked the Security Card of ${who.join(' ')}`;
    }

    const size = (values.size ?? 'normal') as CardSize;
    if (!CARD_SIZES.includes(size)) throw new UsageError(`--size: one of ${CARD_SIZES.join(', ')}`);
    const lang = (values.lang ?? 'it') as string;
    if (!(LOCALES as readonly string[]).includes(lang)) throw new UsageError(`--lang: one of ${LOCALES.join(', ')}`);
    const out = values.out;
    if (typeof out !== 'string' || !out) throw new UsageError('card print needs --out FILE.pdf');
    const old = await cards.status(id);
    const card = cards.generate();
    const { pdf } = await renderCard(s, account, card, size, lang);
    try {
      writeFileSync(out, pdf, { mode: 0o600 });
    } catch (err) {
      throw new UsageError(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing changed`);
    }
    // Only now, with the PDF written, does the new card replace the old one.
    await cards.save(id, card);
    await s.audit.record({ event: 'card.print', outcome: 'success', actor: 'cli', subject: id, reason: `serial ${card.serial}, ${size}, at the counter, replaces ${old?.serial ?? 'none'}` });
    return values.json
      ? JSON.stringify({ printed: id, serial: card.serial, size, file: out })
      : `printed Security Card ${card.serial} (${size}) for ${who.join(' ')} to ${out}${old ? `; card ${old.serial} is void` : ''}`;
  },
});
