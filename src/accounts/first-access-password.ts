// First-access passwords sent on the secure channel: random, and acceptable under the personal
// policy (so the member can log in with it before choosing their own).
import { randomInt } from 'node:crypto';
import type { PasswordKindPolicy } from '../config.ts';
import { checkPasswordPolicy } from './password-policy.ts';

// No look-alike characters (0/O, 1/l/I): it is read from a phone and typed by hand.
const SETS = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '-!?#+*'];

export function firstAccessPassword(policy: PasswordKindPolicy): string {
  const length = Math.min(Math.max(12, policy.minLength), policy.maxLength);
  for (let tries = 0; tries < 100; tries += 1) {
    const sets = policy.alnumOnly || policy.digitsOnly ? (policy.digitsOnly ? [SETS[2]!] : SETS.slice(0, 3)) : SETS;
    const chars = sets.map((s) => s[randomInt(s.length)]!);
    const all = sets.join('');
    while (chars.length < length) chars.push(all[randomInt(all.length)]!);
    for (let i = chars.length - 1; i > 0; i -= 1) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
    const password = chars.join('');
    if (!checkPasswordPolicy(password, policy)) return password;
  }
  throw new Error('cannot generate a password under this policy');
}
