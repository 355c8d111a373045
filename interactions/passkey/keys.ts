// The passkeys' Redis keys (rows of the one key table, see src/store/keys.ts). A credential's key
// part is the SHA-256 of its id (ids may be up to 1023 bytes).
import { createHash } from 'node:crypto';
import type { KeyDoc } from '../../src/methods/method.ts';

export const credKey = (credentialId: string) => createHash('sha256').update(credentialId).digest('base64url');

export const passkeyKeys = {
  /** Failures and lock of all the user's passkeys. */
  account: (id: string) => `acct:{${id}}:passkeys`,
  ids: (id: string) => `acct:{${id}}:passkey-ids`,
  credential: (id: string, credentialId: string) => `acct:{${id}}:passkey:${credKey(credentialId)}`,
  registration: (id: string) => `acct:{${id}}:passkey-reg`,
  owner: (credentialId: string) => `passkey-owner:{${credKey(credentialId)}}`,
  challenge: (uid: string) => `passkey-ch:{${uid}}`,
};

export const PASSKEY_KEYS: KeyDoc[] = [
  { key: 'acct:{ID}:passkeys', type: 'hash', ttl: 'none', what: 'passkeys: consecutive failures and lock (all of the user\'s)' },
  { key: 'acct:{ID}:passkey-ids', type: 'set', ttl: 'none', what: 'the user\'s passkey credential ids' },
  { key: 'acct:{ID}:passkey:CRED', type: 'hash', ttl: 'none', what: 'one passkey: name, public key, sign counter, transports, AAGUID, dates, lock' },
  { key: 'acct:{ID}:passkey-reg', type: 'string', ttl: 'PASSKEY_CHALLENGE_TTL', what: 'challenge of a passkey registration in progress (used once)' },
  { key: 'passkey-owner:{CRED}', type: 'string', ttl: 'none', what: 'passkey credential → its account (passwordless sign-in)' },
  { key: 'passkey-ch:{UID}', type: 'string', ttl: 'PASSKEY_CHALLENGE_TTL', what: 'the login challenge of an interaction (used once)' },
];
