import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.ts';
import { checkPasswordPolicy } from '../../src/accounts/password-policy.ts';

const { passwords } = DEFAULTS;

describe('password policy per kind (DESIGN.md table)', () => {
  it('operator and dispositive: 5-10 letters or digits', () => {
    for (const kind of ['operator', 'dispositive', 'activation'] as const) {
      expect(checkPasswordPolicy('Ab3de', passwords[kind])).toBeUndefined();
      expect(checkPasswordPolicy('Ab3d', passwords[kind])).toBe('password.too_short');
      expect(checkPasswordPolicy('Ab3def78901', passwords[kind])).toBe('password.too_long');
      expect(checkPasswordPolicy('Ab3de!', passwords[kind])).toBe('password.alnum_only');
    }
  });
  it('administrator: 8-10 letters or digits', () => {
    expect(checkPasswordPolicy('Abcdefg1', passwords.administrator)).toBeUndefined();
    expect(checkPasswordPolicy('Abcdef1', passwords.administrator)).toBe('password.too_short');
  });
  it('personal: at least 8 with upper, lower, digit and special, each with its own message', () => {
    expect(checkPasswordPolicy('Secret-123', passwords.personal)).toBeUndefined();
    expect(checkPasswordPolicy('Sec-12', passwords.personal)).toBe('password.too_short');
    expect(checkPasswordPolicy('secret-123', passwords.personal)).toBe('password.needs_upper');
    expect(checkPasswordPolicy('SECRET-123', passwords.personal)).toBe('password.needs_lower');
    expect(checkPasswordPolicy('Secret-abc', passwords.personal)).toBe('password.needs_digit');
    expect(checkPasswordPolicy('Secret1234', passwords.personal)).toBe('password.needs_special');
  });
  it('every kind locks after 7 consecutive failures by default', () => {
    for (const p of Object.values(passwords)) expect(p.maxFailures).toBe(7);
  });
});
