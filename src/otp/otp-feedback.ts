// What the pages that ask for an emailed or texted code tell the user: where the code went, how
// long it lasts, why it was refused. Shared by the login step, the channel registration and the
// password reset, so they all say the same thing.
import type { Services } from '../services.ts';
import { maskContact } from '../delivery/mask.ts';
import type { CheckResult, IssueResult, OtpPurpose, OtpStatus, OtpTarget } from './one-time-codes.ts';

export interface OtpFeedback {
  notice?: string;
  noticeParams?: Record<string, string | number>;
  error?: string;
  errorParams?: Record<string, string | number>;
  status?: number;
}

/** The audit event of a send (never the code): sent, wait, or why it failed. */
export function sendEvent(issued: IssueResult, channel: string, purpose = ''): { event: string; outcome: 'success' | 'failure' | 'info'; reason: string } {
  if (issued.status === 'failed') return { event: 'otp.send', outcome: 'failure', reason: issued.error.message };
  return { event: 'otp.send', outcome: issued.status === 'sent' ? 'success' : 'info', reason: `${issued.status} ${channel}${purpose ? ` (${purpose})` : ''}` };
}

export function issueFeedback(r: IssueResult, to: string, minutes: number): OtpFeedback {
  if (r.status === 'sent') return { notice: 'otp.sent', noticeParams: { to, minutes } };
  if (r.status === 'wait') return { notice: 'otp.wait', noticeParams: { to, seconds: r.waitSeconds }, status: 429 };
  return { error: 'otp.delivery_failed', status: 503 };
}

export function statusFeedback(st: OtpStatus, now: number): OtpFeedback {
  const seconds = Math.max(Math.ceil((st.expiresAt - now) / 1000), 1);
  if (st.expired) return { error: 'otp.expired' };
  if (st.void) return { error: 'otp.void', errorParams: { seconds } };
  return { notice: 'otp.valid_for', noticeParams: { to: st.to, seconds } };
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
  if (st && st.ref === ref) return { feedback: statusFeedback(st, s.clock.now()) };
  if (st && !st.expired) return { feedback: statusFeedback(st, s.clock.now()) };
  const issued = await s.otp.issue(accountId, purpose, target, locale, ref);
  return { feedback: { ...issueFeedback(issued, maskContact(target.channel, target.to), minutesOf(s)), status: issued.status === 'failed' ? 503 : undefined }, issued };
}

/** "Regenerate": a new code when the last one has expired (or was used or withdrawn). */
export async function codeOnResend(s: Services, accountId: string, purpose: OtpPurpose, target: OtpTarget, locale: string, ref: string):
  Promise<{ feedback: OtpFeedback; issued: IssueResult }> {
  const issued = await s.otp.issue(accountId, purpose, target, locale, ref);
  const st = issued.status === 'wait' ? await s.otp.status(accountId, purpose) : undefined;
  const feedback = st?.void
    ? { error: 'otp.void', errorParams: { seconds: (issued as { waitSeconds: number }).waitSeconds }, status: 429 }
    : issueFeedback(issued, maskContact(target.channel, target.to), minutesOf(s));
  return { feedback, issued };
}

function minutesOf(s: Services): number {
  return Math.round(s.config.otp.validitySeconds / 60);
}

export const OTP_FORM_FORMAT = /^\d{6}$/;

/** The code as typed: spaces removed. */
export function normaliseOtp(raw: string | undefined): string {
  return (raw ?? '').replace(/\s+/g, '');
}
