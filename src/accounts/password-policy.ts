// Password rules per kind (DESIGN.md's table). Each broken rule has its own message key, so the
// page tells the user exactly what to fix.
import type { PasswordKindPolicy } from '../config.ts';

export type PolicyViolation =
  | 'password.too_short' | 'password.too_long' | 'password.alnum_only' | 'password.digits_only'
  | 'password.needs_upper' | 'password.needs_lower' | 'password.needs_digit' | 'password.needs_special';

export function checkPasswordPolicy(password: string, policy: PasswordKindPolicy): PolicyViolation | undefined {
  const length = [...password].length;
  if (length < policy.minLength) return 'password.too_short';
  if (length > policy.maxLength) return 'password.too_long';
  if (policy.digitsOnly && !/^[0-9]+$/.test(password)) return 'password.digits_only';
  if (policy.alnumOnly && !/^[A-Za-z0-9]+$/.test(password)) return 'password.alnum_only';
  for (const need of policy.require) {
    if (need === 'upper' && !/[A-Z]/.test(password)) return 'password.needs_upper';
    if (need === 'lower' && !/[a-z]/.test(password)) return 'password.needs_lower';
    if (need === 'digit' && !/[0-9]/.test(password)) return 'password.needs_digit';
    if (need === 'special' && !/[^A-Za-z0-9]/.test(password)) return 'password.needs_special';
  }
  return undefined;
}

/** A new password and its confirmation: the first problem as a message key, or undefined. */
export function checkNewPassword(password: string, confirmation: string, policy: PasswordKindPolicy): PolicyViolation | 'change_password.mismatch' | undefined {
  if (password !== confirmation) return 'change_password.mismatch';
  return checkPasswordPolicy(password, policy);
}
