// The Security Card's Redis keys (rows of the one key table, see src/store/keys.ts).
import type { KeyDoc } from '../../src/methods/method.ts';

export const cardKeys = {
  card: (id: string) => `acct:{${id}}:card`,
  download: (ticket: string) => `card-dl:{${ticket}}`,
};

export const CARD_KEYS: KeyDoc[] = [
  { key: 'acct:{ID}:card', type: 'hash', ttl: 'none', what: 'Security Card: serial, sealed grid, challenge, failures, used cells' },
  { key: 'card-dl:{TICKET}', type: 'string', ttl: '10 minutes', what: 'one-time ticket to download a just-printed card' },
];
