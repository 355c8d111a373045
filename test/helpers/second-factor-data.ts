// Test data and helpers for the Security Card and the authenticator app.
import { generate } from 'otplib';
import { CALLBACK, TEST_DATA } from './data.ts';
import type { Page } from './browser.ts';
import type { TestIdp } from './idp.ts';
import { cardsOf, type Card } from '../../interactions/card/cards.ts';
import { totpOf } from '../../interactions/totp/devices.ts';

export const MARIO_ID = 'C.RSSMRA85T10A562S';

export const SF_DATA = {
  ...TEST_DATA,
  clients: [
    ...TEST_DATA.clients,
    { client_id: 'card-only', client_secret: 'card-only-secret-0123', redirect_uris: [CALLBACK], first_party: true, accepted_methods: ['card'] },
    { client_id: 'totp-only', client_secret: 'totp-only-secret-0123', redirect_uris: [CALLBACK], first_party: true, accepted_methods: ['totp'] },
  ],
};

export async function printCard(t: TestIdp, accountId = MARIO_ID): Promise<Card> {
  return cardsOf(t.idp.services).issue(accountId);
}

/** The two cells a card page asks for, read from its data-cell elements. */
export function askedCells(page: Page): [number, number] {
  const cells = page.doc.querySelectorAll('[data-cell]').map((e) => Number(e.getAttribute('data-cell')));
  if (cells.length !== 2) throw new Error(`not a card page (${page.status}): ${page.alert ?? page.title ?? ''}`);
  return [cells[0]!, cells[1]!];
}

/** The right answer for a card page. */
export function cardAnswer(card: Card, page: Page): { card_1: string; card_2: string } {
  const [a, b] = askedCells(page);
  return { card_1: card.values[a - 1]!, card_2: card.values[b - 1]! };
}

/** A wrong answer for a card page (each value off by one). */
export function wrongAnswer(card: Card, page: Page): { card_1: string; card_2: string } {
  const right = cardAnswer(card, page);
  const off = (v: string) => String((Number(v) + 1) % 1000).padStart(3, '0');
  return { card_1: off(right.card_1), card_2: right.card_2 };
}

/** The code an app with this secret shows at `ms` (epoch milliseconds). */
export function totpCode(secret: string, ms: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000) });
}

/** Sets up an authenticator app for the account directly; returns its secret. */
export async function enrolApp(t: TestIdp, accountId = MARIO_ID): Promise<string> {
  const devices = totpOf(t.idp.services);
  const secret = await devices.pendingSecret(accountId);
  if (!(await devices.confirm(accountId, await totpCode(secret, t.idp.services.clock.now())))) throw new Error('enrolment refused');
  return secret;
}

export function secretOf(uri: string): string {
  return new URL(uri).searchParams.get('secret')!;
}
