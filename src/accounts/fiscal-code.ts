// Italian fiscal code (codice fiscale): format, including omocodia letters, and the check character.
const PATTERN = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;
// Values of characters in odd positions (1st, 3rd, ...), digits and letters share a row.
const ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

function ordinal(ch: string): number {
  const c = ch.charCodeAt(0);
  return c <= 57 ? c - 48 : c - 65; // '0'-'9' → 0-9, 'A'-'Z' → 0-25
}

export function normaliseFiscalCode(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

export function isValidFiscalCode(code: string): boolean {
  if (!PATTERN.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 15; i += 1) {
    const v = ordinal(code[i]!);
    sum += i % 2 === 0 ? ODD[v]! : v;
  }
  return String.fromCharCode(65 + (sum % 26)) === code[15];
}
