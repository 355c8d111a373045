// The payment confirmation's Redis keys (rows of the one key table, see src/store/keys.ts).
import type { KeyDoc } from '../../src/methods/method.ts';

export const paymentKeys = {
  // Same hash tag as the account's password credential: a wrong code counts toward its lockout.
  code: (id: string) => `acct:{${id}}:payment-code`,
};

export const PAYMENT_KEYS: KeyDoc[] = [
  { key: 'acct:{ID}:payment-code', type: 'hash', ttl: 'code validity + 1 hour', what: 'the one-time code of a payment confirmation: HMAC bound to the details and the interaction, expiry, attempts' },
];
