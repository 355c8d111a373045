// The authenticator app's Redis keys (rows of the one key table, see src/store/keys.ts).
import type { KeyDoc } from '../../src/methods/method.ts';

export const totpKeys = {
  device: (id: string) => `acct:{${id}}:totp`,
  pending: (id: string) => `acct:{${id}}:totp-pending`,
};

export const TOTP_KEYS: KeyDoc[] = [
  { key: 'acct:{ID}:totp', type: 'hash', ttl: 'none', what: 'authenticator app: sealed secret, last step, offset, failures' },
  { key: 'acct:{ID}:totp-pending', type: 'string', ttl: '15 minutes', what: 'sealed secret of an enrolment not yet confirmed' },
];
