// Second factor: a one-time code sent on the member's registered secure channel (email or SMS).
// amr "otp", plus "sms" when it went by text message (RFC 8176). Wrong codes count toward the
// password lockout; five void the code; a new one can be asked once the last has expired.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { loginPasswordKind } from '../../src/accounts/accounts.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { checkFeedback, codeOnResend, codeOnShow, normaliseOtp, OTP_FORM_FORMAT, sendEvent, waitFor, type OtpFeedback } from '../../src/otp/otp-feedback.ts';

const form = z.object({
  otp: z.string({ error: 'form.invalid' }).max(32, { error: 'form.too_long' }).optional(),
  resend: z.literal('1', { error: 'form.invalid' }).optional(),
});

function page(channel: { channel: 'email' | 'sms'; to: string } | undefined, feedback: OtpFeedback = {}) {
  return {
    view: 'interactions/otp/page',
    data: { to: channel ? maskContact(channel.channel, channel.to) : '', channel: channel?.channel ?? 'email', wait: feedback.wait },
    ...feedback,
  };
}

export const otpStep = defineStep({
  id: 'otp',
  kind: 'login',
  slot: 'second-factor',
  amr: ['otp'],
  requiresUser: true,
  form,
  async configuredFor(ctx, account) {
    return !!(await ctx.services.secureChannels.get(account.id));
  },
  async render(ctx) {
    const account = ctx.account;
    const channel = account ? await ctx.services.secureChannels.get(account.id) : undefined;
    if (!account || !channel) return page(channel, { error: 'error.unexpected', status: 400 });
    const { feedback, issued } = await codeOnShow(ctx.services, account.id, 'login', channel, ctx.flow.locale, ctx.uid);
    if (issued) await ctx.audit(sendEvent(issued, channel.channel));
    return page(channel, feedback);
  },
  async action(ctx, f) {
    const account = ctx.account;
    const channel = account ? await ctx.services.secureChannels.get(account.id) : undefined;
    if (!account || !channel) return { type: 'challenge', page: page(channel, { error: 'error.unexpected' }) };
    if (f.resend) {
      const { feedback, issued } = await codeOnResend(ctx.services, account.id, 'login', channel, ctx.flow.locale, ctx.uid);
      await ctx.audit(sendEvent(issued, channel.channel));
      return { type: 'challenge', page: page(channel, { ...feedback, status: feedback.status ?? 200 }) };
    }
    const code = normaliseOtp(f.otp);
    if (!OTP_FORM_FORMAT.test(code)) return { type: 'challenge', page: page(channel, { error: 'otp.format', wait: await waitFor(ctx.services, account.id, 'login') }) };
    const result = await ctx.services.otp.check(account.id, 'login', code, loginPasswordKind(account.type));
    if (!result.ok) {
      await ctx.audit({ event: 'login.otp', outcome: 'failure', reason: result.reason });
      if (result.lockedNow) await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: loginPasswordKind(account.type) });
      return { type: 'failure', page: page(channel, { ...checkFeedback(result), wait: await waitFor(ctx.services, account.id, 'login') }) };
    }
    await ctx.audit({ event: 'login.otp', outcome: 'success', reason: channel.channel });
    // RFC 8176: "sms" says how the code travelled.
    return { type: 'success', amr: channel.channel === 'sms' ? ['otp', 'sms'] : ['otp'] };
  },
});
