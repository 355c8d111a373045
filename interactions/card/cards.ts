// Security Cards: a printed 5 x 10 grid of 3-digit values (cells 1-50) from a CSPRNG, with a serial
// and an issue date. The grid is sealed under DATA_KEY; the standing challenge, the failure count, the
// lock and (in single-use mode) the used cells live in the same Redis hash and change only through
// the cardChallenge / cardAnswer scripts. Printing replaces the hash: the old card is void at once.
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Services } from '../../src/services.ts';
import { SealError } from '../../src/crypto/sealed.ts';
import { cardKeys } from './keys.ts';
import { cardAnswer, cardChallenge } from './scripts.ts';
import { cardSettings } from './settings.ts';

export const CELLS = 50;
export const COLUMNS = 10;
export const ROWS = 5;
export const CARD_SIZES = ['normal', 'small', 'large'] as const;
export type CardSize = (typeof CARD_SIZES)[number];

export interface Card {
  serial: string;
  issuedAt: number;
  /** values[0] is cell 1. */
  values: string[];
}

export interface CardStatus {
  serial: string;
  issuedAt: number;
  locked: boolean;
  failures: number;
  unused: number;
}

export type Challenge =
  | { status: 'ok'; cells: [number, number]; serial: string }
  | { status: 'locked'; cells: [number, number]; serial: string }  // decoy cells: looks like any other
  | { status: 'exhausted'; serial: string }
  | { status: 'none' };

export type AnswerOutcome = 'ok' | 'wrong' | 'locked_now' | 'locked' | 'stale' | 'none';

const purpose = (accountId: string, serial: string) => `card:${accountId}:${serial}`;

function newSerial(): string {
  const digits = Array.from({ length: 12 }, () => randomInt(10)).join('');
  return `${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

/** The 50 cell numbers in a random order (Fisher-Yates over a CSPRNG). */
function shuffledCells(): number[] {
  const cells = Array.from({ length: CELLS }, (_, i) => i + 1);
  for (let i = cells.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [cells[i], cells[j]] = [cells[j]!, cells[i]!];
  }
  return cells;
}

function parseCells(c: string): [number, number] {
  const [a, b] = c.split(',').map(Number);
  return [a!, b!];
}

export class SecurityCards {
  constructor(private readonly s: Services) {}

  /** Prints a new card for the account, voiding the one it had. */
  async issue(accountId: string): Promise<Card> {
    const card = this.generate();
    await this.save(accountId, card);
    return card;
  }

  /** A new card, not yet anyone's (the counter writes the PDF before the card takes effect). */
  generate(): Card {
    const values = Array.from({ length: CELLS }, () => String(randomInt(1000)).padStart(3, '0'));
    return { serial: newSerial(), issuedAt: this.s.clock.now(), values };
  }

  /** Makes `card` the account's card: the previous one, its challenge and its counters are gone. */
  async save(accountId: string, card: Card): Promise<void> {
    const key = cardKeys.card(accountId);
    await this.s.redis.multi()
      .del(key)
      .hset(key, {
        serial: card.serial,
        issuedAt: String(card.issuedAt),
        grid: this.s.sealer.seal(JSON.stringify(card.values), purpose(accountId, card.serial)),
        used: '0'.repeat(CELLS),
        failures: '0',
        locked: '0',
      })
      .exec();
  }

  /** The card with its values (to print it again for a download, and for tests). */
  async read(accountId: string): Promise<Card | undefined> {
    const h = await this.s.redis.hmget(cardKeys.card(accountId), 'serial', 'issuedAt', 'grid');
    const [serial, issuedAt, grid] = h;
    if (!serial || !issuedAt || !grid) return undefined;
    return { serial, issuedAt: Number(issuedAt), values: JSON.parse(this.s.sealer.openText(grid, purpose(accountId, serial))) as string[] };
  }

  async status(accountId: string): Promise<CardStatus | undefined> {
    const [serial, issuedAt, locked, failures, used] = await this.s.redis.hmget(cardKeys.card(accountId), 'serial', 'issuedAt', 'locked', 'failures', 'used');
    if (!serial) return undefined;
    return {
      serial, issuedAt: Number(issuedAt), locked: locked === '1', failures: Number(failures ?? 0),
      unused: CELLS - [...(used ?? '')].filter((c) => c === '1').length,
    };
  }

  /**
   * The cells to ask for: the standing challenge, or a new one drawn now. A locked card keeps its
   * last challenge (or, failing that, fixed decoy cells), so its page looks like any other.
   */
  async challenge(accountId: string): Promise<Challenge> {
    const [status, cells, serial] = await cardChallenge.run(this.s.redis, [cardKeys.card(accountId)], ...shuffledCells());
    if (status === 'ok') return { status, cells: parseCells(cells!), serial: serial! };
    if (status === 'locked') return { status, cells: cells ? parseCells(cells) : this.decoy(accountId, serial!), serial: serial! };
    if (status === 'exhausted') return { status, serial: serial! };
    return { status: 'none' };
  }

  /**
   * Checks the two values typed for the cells of `ch` (the challenge read for this answer, with its
   * card's serial; constant-time) and records the outcome atomically.
   */
  async answer(accountId: string, ch: { cells: [number, number]; serial: string }, typed: [string, string]): Promise<{ outcome: AnswerOutcome; failures: number; unused: number }> {
    const { cells, serial } = ch;
    const key = cardKeys.card(accountId);
    const grid = await this.s.redis.hget(key, 'grid');
    if (!grid) return { outcome: 'none', failures: 0, unused: 0 };
    let values: string[];
    try {
      values = JSON.parse(this.s.sealer.openText(grid, purpose(accountId, serial))) as string[];
    } catch (err) {
      // Reprinted since the challenge was read: the grid is another card's (the script would say the same).
      if (err instanceof SealError && (await this.s.redis.hget(key, 'serial')) !== serial) return { outcome: 'stale', failures: 0, unused: 0 };
      throw err;
    }
    const expected = Buffer.from(`${values[cells[0] - 1]}${values[cells[1] - 1]}`);
    const got = Buffer.from(`${typed[0]}${typed[1]}`);
    const right = expected.length === got.length && timingSafeEqual(expected, got);
    // A locked card does the same work as any other; the script reports the lock.
    const { maxFailures, singleUseCells } = cardSettings.of(this.s.config);
    const [outcome, n] = await cardAnswer.run(this.s.redis, [key], serial, cells.join(','), right ? 1 : 0, maxFailures, singleUseCells ? 1 : 0);
    return { outcome: outcome as AnswerOutcome, failures: outcome === 'ok' ? 0 : n, unused: outcome === 'ok' ? n : 0 };
  }

  /** Clears the lock and the count (one transaction); the next login draws new cells. */
  async unlock(accountId: string): Promise<boolean> {
    // The standing challenge goes too: new cells next time.
    return (await this.s.redis.unlockCredential(cardKeys.card(accountId), 'challenge')) === 1;
  }

  async remove(accountId: string): Promise<boolean> {
    return (await this.s.redis.del(cardKeys.card(accountId))) > 0;
  }

  /** A one-time ticket (10 minutes) to download the card just printed. */
  async downloadTicket(accountId: string, serial: string, size: CardSize, locale: string): Promise<string> {
    const ticket = randomBytes(24).toString('base64url');
    await this.s.redis.set(cardKeys.download(ticket), JSON.stringify({ accountId, serial, size, locale }), 'EX', 600);
    return ticket;
  }

  /** Redeems a ticket: the card, if it is still the one printed. */
  async redeem(ticket: string): Promise<{ accountId: string; card: Card; size: CardSize; locale: string } | undefined> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return undefined;
    const raw = await this.s.redis.getdel(cardKeys.download(ticket));
    if (!raw) return undefined;
    const { accountId, serial, size, locale } = JSON.parse(raw) as { accountId: string; serial: string; size: CardSize; locale: string };
    const card = await this.read(accountId);
    return card && card.serial === serial ? { accountId, card, size, locale } : undefined;
  }

  /** Fixed cells for a name, so a locked card or an unknown user gets a page like any other. */
  decoy(accountId: string, serial: string): [number, number] {
    const mac = Buffer.from(this.s.sealer.mac(`${accountId}:${serial}`, 'card-decoy'), 'base64url');
    const a = (mac.readUInt32BE(0) % CELLS) + 1;
    const b = ((a - 1 + 1 + (mac.readUInt32BE(4) % (CELLS - 1))) % CELLS) + 1;
    return [a, b];
  }
}

export function cardsOf(s: Services): SecurityCards {
  return new SecurityCards(s);
}
