// What the administration pages and commands show about a password: never the password, only its
// state (locked, to be changed, when it expires).
import type { Services } from '../services.ts';
import type { PasswordKind } from '../accounts/accounts.ts';

export interface CredentialStatus {
  kind: PasswordKind;
  set: boolean;
  locked: boolean;
  failures: number;
  mustChange: boolean;
  expired: boolean;
  /** ISO date, or undefined when it never expires. */
  expiresAt?: string;
}

export async function credentialStatus(s: Pick<Services, 'passwords' | 'clock'>, accountId: string, kind: PasswordKind): Promise<CredentialStatus> {
  const c = await s.passwords.get(accountId, kind);
  if (!c) return { kind, set: false, locked: false, failures: 0, mustChange: false, expired: false };
  return {
    kind, set: true, locked: c.locked, failures: c.failures, mustChange: c.mustChange,
    expired: c.expiresAt > 0 && s.clock.now() >= c.expiresAt,
    expiresAt: c.expiresAt > 0 ? new Date(c.expiresAt).toISOString() : undefined,
  };
}

/** One line for people: "locked", "must be changed", "expires 2025-01-31" ... */
export function describeStatus(st: CredentialStatus): string {
  if (!st.set) return 'not set';
  const parts = [st.locked ? 'LOCKED' : 'active'];
  if (st.mustChange) parts.push('must be changed at first use');
  if (st.expired) parts.push('expired');
  else if (st.expiresAt) parts.push(`expires ${st.expiresAt.slice(0, 10)}`);
  else parts.push('no expiry');
  if (!st.locked && st.failures) parts.push(`${st.failures} failed attempt(s)`);
  return parts.join(', ');
}
