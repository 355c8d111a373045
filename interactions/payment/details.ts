// The authorization_details types of a payment (RFC 9396): `payment_initiation` (the RFC's example:
// instructedAmount, creditorName, creditorAccount.iban, remittanceInformationUnstructured) and
// `payment_initiation_batch` (a debtor account and up to PAYMENT_MAX_BATCH payments in one
// currency). Checked by schema: ISO 4217 currency, an amount above zero with no more decimals than
// the currency has, the IBAN's check digits (ISO 13616, mod 97), lengths; no field beyond these.
import { z } from 'zod';

/** The ISO 4217 codes the runtime knows, with their minor units (EUR 2, JPY 0, BHD 3). */
const CURRENCIES = new Map(Intl.supportedValuesOf('currency').map((c) => [c, new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits ?? 2]));

export function currencyDecimals(code: string): number | undefined {
  return CURRENCIES.get(code);
}

/** ISO 13616: country, two check digits, up to 30 letters or digits; the whole mod 97 is 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const n = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of n) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

/** The IBAN in groups of four ("IT60 X054 2811 1010 0000 0123 456"). */
export function ibanGrouped(raw: string): string {
  return raw.replace(/ /g, '').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

/** The IBAN for the audit log: country, check digits and the last four, the rest hidden. */
export function ibanMasked(raw: string): string {
  const iban = raw.replace(/ /g, '').toUpperCase();
  return `${iban.slice(0, 4)}${'*'.repeat(Math.max(iban.length - 8, 0))}${iban.slice(-4)}`;
}

const text = (max: number) => z.string().min(1).max(max).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { error: 'control characters are not allowed' });
const iban = z.strictObject({ iban: z.string().max(42).refine(ibanValid, { error: 'not a valid IBAN (check digits)' }) });

const amount = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'an ISO 4217 code' }).refine((c) => currencyDecimals(c) !== undefined, { error: 'unknown currency' }),
  amount: z.string().regex(/^\d{1,15}(\.\d{1,3})?$/, { error: 'a decimal string, e.g. "123.50"' }),
}).superRefine((v, ctx) => {
  const decimals = currencyDecimals(v.currency);
  if (decimals === undefined) return;
  const fraction = v.amount.split('.')[1] ?? '';
  if (fraction.length > decimals) ctx.addIssue({ code: 'custom', path: ['amount'], message: `${v.currency} has ${decimals} decimals` });
  if (!/[1-9]/.test(v.amount)) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'must be above zero' });
});

const common = {
  // RFC 9396 §2: common data fields the RFC's own example carries.
  actions: z.array(z.enum(['initiate', 'status', 'cancel'])).min(1).max(3).optional(),
  locations: z.array(z.url().max(200)).min(1).max(5).optional(),
};

export const payment = z.strictObject({
  type: z.literal('payment_initiation'),
  ...common,
  instructedAmount: amount,
  creditorName: text(140),
  creditorAccount: iban,
  remittanceInformationUnstructured: text(140).optional(),
});

const batchItem = payment.omit({ type: true, actions: true, locations: true });

export function batchSchema(max: number) {
  return z.strictObject({
    type: z.literal('payment_initiation_batch'),
    ...common,
    debtorAccount: iban,
    payments: z.array(batchItem).min(1).max(max),
  }).superRefine((v, ctx) => {
    const currencies = new Set(v.payments.map((p) => p.instructedAmount.currency));
    if (currencies.size > 1) ctx.addIssue({ code: 'custom', path: ['payments'], message: 'all payments of a batch in one currency' });
  });
}

export type Payment = z.infer<typeof payment>;
export type PaymentItem = z.infer<typeof batchItem>;
export type Batch = z.infer<ReturnType<typeof batchSchema>>;
export type Detail = Payment | Batch;

/** One line of an error message: the first problem, with where it is. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

/** Exact sum of decimal strings with `decimals` places (minor units in a BigInt). */
export function total(amounts: string[], decimals: number): string {
  let sum = 0n;
  for (const a of amounts) {
    const [int, frac = ''] = a.split('.');
    sum += BigInt(int! + frac.padEnd(decimals, '0'));
  }
  if (!decimals) return sum.toString();
  const s = sum.toString().padStart(decimals + 1, '0');
  return `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

/** The payments a detail authorises, as a flat list. */
export function paymentsOf(d: Detail): PaymentItem[] {
  return d.type === 'payment_initiation' ? [d] : d.payments;
}
