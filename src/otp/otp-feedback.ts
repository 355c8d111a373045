// What the pages that ask for an emailed or texted code tell the user: where the code went, how
// long it lasts, why it was refused. Shared by the login step, the channel registration and the
// password reset, so they all say the same thing.
import type { Services } from '../services.ts';
import { maskContact } from '../delivery/mask.ts';
import { formatters } from '../http/format.ts';
import type { CheckResult, IssueResult, OtpPurpose, OtpStatus, OtpTarget } from './one-time-codes.ts';

export interface OtpFeedback {
  notice?: string;
  noticeParams?: Record<string, string | number>;
  error?: string;
  errorParams?: Record<string, string | number>;
  status?: number;
  /** Seconds before a new code may be asked for ("send a new code" is disabled until then). */
  wait?: number;
}

/** The audit event of a send (never the code): sent, wait, or why it failed. */
export function sendEvent(issued: IssueResult, channel: string, purpose = ''): { event: string; outcome: 'success' | 'failure' | 'info'; reason: string } {
  if (issued.status === 'failed') return { event: 'otp.send', outcome: 'failure', reason: issued.error.message };
  return { event: 'otp.send', outcome: issued.status === 'sent' ? 'success' : 'info', reason: `${issued.status} ${channel}${purpose ? ` (${purpose})` : ''}` };
}

// Times are written out in the page's language ("4 minuti e 32 secondi").
export function issueFeedback(r: IssueResult, to: string, validitySeconds: number, locale: string): OtpFeedback {
  const time = (seconds: number) => formatters(locale).duration(seconds);
  if (r.status === 'sent') return { notice: 'otp.sent', noticeParams: { to, time: time(validitySeconds) }, wait: validitySeconds };
  if (r.status === 'wait') return { notice: 'otp.wait', noticeParams: { to, time: time(r.waitSeconds) }, status: 429, wait: r.waitSeconds };
  return { error: 'otp.delivery_failed', status: 503 };
}

export function statusFeedback(st: OtpStatus, now: number, locale: string): OtpFeedback {
  const seconds = Math.max(Math.ceil((st.expiresAt - now) / 1000), 1);
  const time = formatters(locale).duration(seconds);
  if (st.expired) return { error: 'otp.expired' };
  if (st.void) return { error: 'otp.void', errorParams: { time }, wait: seconds };
  return { notice: 'otp.valid_for', noticeParams: { to: st.to, time }, wait: seconds };
}

/** Seconds before a new code of this purpose may be sent (0: now). */
export async function waitFor(s: Services, accountId: string, purpose: OtpPurpose): Promise<number> {
  const st = await s.otp.status(accountId, purpose);
  return st && !st.expired ? Math.max(Math.ceil((st.expiresAt - s.clock.now()) / 1000), 0) : 0;
}

export function checkFeedback(r: Exclude<CheckResult, { ok: true }>): OtpFeedback {
  switch (r.reason) {
    case 'wrong': return { error: 'otp.wrong', errorParams: { left: r.attemptsLeft }, status: 401 };
    case 'void_now':
    case 'void': return { error: 'otp.void_now', status: 401 };
    case 'expired': return { error: 'otp.expired', status: 401 };
    case 'locked': return { error: 'otp.locked', status: 401 };
    default: return { error: 'otp.none', status: 401 };
  }
}

/**
 * The code page of one flow (`ref`): the first time, a code is sent (unless one is still in force
 * from elsewhere); afterwards the page tells the state of the code it sent.
 */
export async function codeOnShow(s: Services, accountId: string, purpose: OtpPurpose, target: OtpTarget, locale: string, ref: string):
  Promise<{ feedback: OtpFeedback; issued?: IssueResult }> {
  const st = await s.otp.status(accountId, purpose);
  if (st && st.ref === ref) return { feedback: statusFeedback(st, s.clock.now(), locale) };
  if (st && !st.expired) return { feedback: statusFeedback(st, s.clock.now(), locale) };
  const issued = await s.otp.issue(accountId, purpose, target, locale, ref);
  return { feedback: { ...issueFeedback(issued, maskContact(target.channel, target.to), s.config.otp.validitySeconds, locale), status: issued.status === 'failed' ? 503 : undefined }, issued };
}

/** "Regenerate": a new code when the last one has expired (or was used or withdrawn). */
export async function codeOnResend(s: Services, accountId: string, purpose: OtpPurpose, target: OtpTarget, locale: string, ref: string):
  Promise<{ feedback: OtpFeedback; issued: IssueResult }> {
  const issued = await s.otp.issue(accountId, purpose, target, locale, ref);
  const st = issued.status === 'wait' ? await s.otp.status(accountId, purpose) : undefined;
  const wait = (issued as { waitSeconds?: number }).waitSeconds ?? 0;
  const feedback = st?.void
    ? { error: 'otp.void', errorParams: { time: formatters(locale).duration(wait) }, status: 429, wait }
    : issueFeedback(issued, maskContact(target.channel, target.to), s.config.otp.validitySeconds, locale);
  return { feedback, issued };
}

export const OTP_FORM_FORMAT = /^\d{6}$/;

/** The code as typed: spaces removed. */
export function normaliseOtp(raw: string | undefined): string {
  return (raw ?? '').replace(/\s+/g, '');
}
