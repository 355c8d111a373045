import { describe, expect, it } from 'vitest';
import { isValidFiscalCode, normaliseFiscalCode } from '../../src/accounts/fiscal-code.ts';

describe('fiscal code', () => {
  it('accepts well-formed codes with the right check character', () => {
    for (const c of ['RSSMRA85T10A562S', 'VRDGPP80A01H501U', 'BNCGPP80A01H501E']) expect(isValidFiscalCode(c)).toBe(true);
  });
  it('refuses a wrong check character, a wrong shape and lower case', () => {
    for (const c of ['RSSMRA85T10A562T', 'RSSMRA85T10A562', 'RSSMRA85Z10A562S', '1SSMRA85T10A562S', 'rssmra85t10a562s', '']) {
      expect(isValidFiscalCode(c)).toBe(false);
    }
  });
  it('accepts omocodia letters in place of digits when the check character matches', () => {
    // RSSMRA85T10A562S with its last digit 2 replaced by N (omocodia), check character recomputed.
    const candidates = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((ch) => `RSSMRA85T10A56N${ch}`);
    expect(candidates.filter(isValidFiscalCode)).toHaveLength(1);
  });
  it('normalises spaces and case before checking', () => {
    expect(normaliseFiscalCode(' rssmra85t10a562s ')).toBe('RSSMRA85T10A562S');
  });
});
