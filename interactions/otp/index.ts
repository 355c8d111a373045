// Second factor: a one-time code sent on the member's registered secure channel (email or SMS).
// amr "otp", plus "sms" when it went by text message (RFC 8176). Wrong codes count toward the
// password lockout; five void the code; a new one can be asked once the last has expired.
import { z } from 'zod';
import { defineStep, type StepContext } from '../../src/flow/step.ts';
import { loginPasswordKind } from '../../src/accounts/accounts.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { checkFeedback, codeOnResend, codeOnShow, normaliseOtp, OTP_FORM_FORMAT, type OtpFeedback } from '../../src/otp/otp-feedback.ts';

const form = z.object({
  otp: z.string({ error: 'form.invalid' }).max(32, { error: 'form.too_long' }).optional(),
  resend: z.literal('1', { error: 'form.invalid' }).optional(),
});

async function page(ctx: StepContext, feedback: OtpFeedback = {}) {
  const channel = ctx.account ? await ctx.services.secureChannels.get(ctx.account.id) : undefined;
  return {
    view: 'interactions/otp/page',
    data: { to: channel ? maskContact(channel.channel, channel.to) : '', channel: channel?.channel ?? 'email' },
    ...feedback,
  };
}

export default defineStep({
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
    if (!account || !channel) return page(ctx, { error: 'error.unexpected', status: 400 });
    const { feedback, issued } = await codeOnShow(ctx.services, account.id, 'login', channel, ctx.flow.locale, ctx.uid);
    if (issued) await ctx.audit({ event: 'otp.send', outcome: issued.status === 'failed' ? 'failure' : issued.status === 'sent' ? 'success' : 'info', reason: issued.status === 'failed' ? issued.error.message : `${issued.status} ${channel.channel}` });
    return page(ctx, feedback);
  },
  async action(ctx, f) {
    const account = ctx.account;
    const channel = account ? await ctx.services.secureChannels.get(account.id) : undefined;
    if (!account || !channel) return { type: 'challenge', page: await page(ctx, { error: 'error.unexpected' }) };
    if (f.resend) {
      const { feedback, issued } = await codeOnResend(ctx.services, account.id, 'login', channel, ctx.flow.locale, ctx.uid);
      await ctx.audit({ event: 'otp.send', outcome: issued.status === 'failed' ? 'failure' : issued.status === 'sent' ? 'success' : 'info', reason: issued.status === 'failed' ? issued.error.message : `${issued.status} ${channel.channel}` });
      return { type: 'challenge', page: await page(ctx, { ...feedback, status: feedback.status ?? 200 }) };
    }
    const code = normaliseOtp(f.otp);
    if (!OTP_FORM_FORMAT.test(code)) return { type: 'challenge', page: await page(ctx, { error: 'otp.format' }) };
    const result = await ctx.services.otp.check(account.id, 'login', code, loginPasswordKind(account.type));
    if (!result.ok) {
      await ctx.audit({ event: 'login.otp', outcome: 'failure', reason: result.reason });
      if (result.lockedNow) await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: loginPasswordKind(account.type) });
      return { type: 'failure', page: await page(ctx, checkFeedback(result)) };
    }
    await ctx.audit({ event: 'login.otp', outcome: 'success', reason: channel.channel });
    // RFC 8176: "sms" says how the code travelled.
    for (const v of channel.channel === 'sms' ? ['otp', 'sms'] : ['otp']) if (!ctx.flow.amr.includes(v)) ctx.flow.amr.push(v);
    return { type: 'success' };
  },
});
