// What the confirmation page and the code's message show: amounts formatted for the language,
// payees, IBANs in groups of four, references; for a batch the count, the total and the list.
import { currencyDecimals, ibanGrouped, ibanMasked, paymentsOf, total, type Detail } from './details.ts';

const LOCALES: Record<string, string> = { it: 'it-IT', en: 'en-GB' };

export function money(locale: string, currency: string, amount: string): string {
  // Grouped always, as banks write it (1.234,50 €; Intl's Italian default leaves 4 digits ungrouped).
  const f = new Intl.NumberFormat(LOCALES[locale] ?? locale, { style: 'currency', currency, useGrouping: 'always' } as unknown as Intl.NumberFormatOptions);
  // A decimal string is formatted exactly (no rounding through a float).
  return f.format(amount as unknown as number);
}

export interface Line { amount: string; payee: string; iban: string; reference?: string }
export interface Summary {
  batch: boolean;
  lines: Line[];
  count: number;
  total: string;
  debtor?: string;
  /** For the code's message: the amount and the payee (or "N payments"). */
  message: { amount: string; payee: string };
  /** For the audit log: amounts, payees, IBANs masked. */
  audit: string;
}

export function summarise(details: Detail[], locale: string, countLabel: (n: number) => string): Summary {
  const items = details.flatMap(paymentsOf);
  const currency = items[0]!.instructedAmount.currency;
  const sameCurrency = items.every((p) => p.instructedAmount.currency === currency);
  const lines = items.map((p) => ({
    amount: money(locale, p.instructedAmount.currency, p.instructedAmount.amount),
    payee: p.creditorName,
    iban: ibanGrouped(p.creditorAccount.iban),
    reference: p.remittanceInformationUnstructured,
  }));
  const sum = sameCurrency ? money(locale, currency, total(items.map((p) => p.instructedAmount.amount), currencyDecimals(currency) ?? 2)) : lines.map((l) => l.amount).join(' + ');
  const batch = details.some((d) => d.type === 'payment_initiation_batch') || items.length > 1;
  const debtor = details.find((d) => d.type === 'payment_initiation_batch');
  return {
    batch, lines, count: items.length, total: sum,
    debtor: debtor?.type === 'payment_initiation_batch' ? ibanGrouped(debtor.debtorAccount.iban) : undefined,
    message: batch ? { amount: sum, payee: countLabel(items.length) } : { amount: lines[0]!.amount, payee: lines[0]!.payee },
    audit: items.map((p) => `${p.instructedAmount.amount} ${p.instructedAmount.currency} to ${p.creditorName} ${ibanMasked(p.creditorAccount.iban)}`).join('; ').slice(0, 900),
  };
}
