// Required action: a member without a secure channel registers one at login. They pick the email
// address or mobile number on record (shown masked), prove it with a one-time code, and then get a
// first-access password on it, which they change at once for a personal one. "Later" lets them
// finish this login without one (e.g. to ask for a contact change first); they are asked again at
// the next login.
import { z } from 'zod';
import { defineStep, type StepContext } from '../../src/flow/step.ts';
import type { Account } from '../../src/accounts/accounts.ts';
import { firstAccessPassword } from '../../src/accounts/first-access-password.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { DeliveryError, type Channel } from '../../src/delivery/message.ts';
import { checkFeedback, codeOnResend, codeOnShow, normaliseOtp, OTP_FORM_FORMAT, sendEvent, waitFor, type OtpFeedback } from '../../src/otp/otp-feedback.ts';
import type { IssueResult } from '../../src/otp/one-time-codes.ts';
import { contactsOf, isMember } from '../../src/secure-channel/secure-channels.ts';

const form = z.object({
  channel: z.enum(['email', 'sms'], { error: 'secure_channel.choose' }).optional(),
  otp: z.string({ error: 'form.invalid' }).max(32, { error: 'form.too_long' }).optional(),
  resend: z.literal('1', { error: 'form.invalid' }).optional(),
  later: z.literal('1', { error: 'form.invalid' }).optional(),
});

const state = z.object({ chosen: z.enum(['email', 'sms']) });

function chosenContact(ctx: StepContext<z.infer<typeof state>>, account: Account) {
  const chosen = ctx.state?.chosen;
  return chosen ? contactsOf(account).find((c) => c.channel === chosen) : undefined;
}

function choosePage(account: Account, feedback: OtpFeedback = {}) {
  const contacts = contactsOf(account).map((c) => ({ channel: c.channel, masked: maskContact(c.channel, c.to) }));
  return { view: 'interactions/secure-channel/choose', data: { contacts }, ...feedback };
}

function codePage(target: { channel: Channel; to: string }, feedback: OtpFeedback = {}) {
  return { view: 'interactions/secure-channel/code', data: { channel: target.channel, to: maskContact(target.channel, target.to), wait: feedback.wait }, ...feedback };
}

const sendAudit = (ctx: StepContext, issued: IssueResult, channel: Channel) => ctx.audit(sendEvent(issued, channel, 'registration'));

export const secureChannelStep = defineStep({
  id: 'secure-channel',
  kind: 'required-action',
  amr: [],
  state,
  requiresUser: true,
  form,
  async trigger(ctx, account) {
    if (!isMember(account)) return undefined;
    return (await ctx.services.secureChannels.get(account.id)) ? undefined : {};
  },
  async render(ctx) {
    const account = ctx.account!;
    const target = chosenContact(ctx, account);
    if (!target) return choosePage(account);
    const { feedback, issued } = await codeOnShow(ctx.services, account.id, 'register', target, ctx.flow.locale, ctx.uid);
    if (issued) await sendAudit(ctx, issued, target.channel);
    return codePage(target, feedback);
  },
  async action(ctx, f) {
    const account = ctx.account;
    if (!account) return { type: 'challenge', page: { view: 'views/message', data: { title: 'error.unexpected.title' }, error: 'error.unexpected' } };
    const s = ctx.services;
    if (f.later) {
      await ctx.audit({ event: 'secure_channel.postponed', outcome: 'info', subject: account.id });
      return { type: 'success', notice: 'secure_channel.postponed' };
    }
    let target = chosenContact(ctx, account);
    if (!target) {
      const pick = contactsOf(account).find((c) => c.channel === f.channel);
      if (!pick) return { type: 'challenge', page: choosePage(account, { error: 'secure_channel.choose' }) };
      ctx.setState({ chosen: pick.channel });
      target = pick;
      const { feedback, issued } = await codeOnShow(s, account.id, 'register', target, ctx.flow.locale, ctx.uid);
      if (issued) await sendAudit(ctx, issued, target.channel);
      return { type: 'challenge', page: codePage(target, { ...feedback, status: feedback.status ?? 200 }) };
    }
    if (f.resend) {
      const { feedback, issued } = await codeOnResend(s, account.id, 'register', target, ctx.flow.locale, ctx.uid);
      await sendAudit(ctx, issued, target.channel);
      return { type: 'challenge', page: codePage(target, { ...feedback, status: feedback.status ?? 200 }) };
    }
    const code = normaliseOtp(f.otp);
    if (!OTP_FORM_FORMAT.test(code)) return { type: 'challenge', page: codePage(target, { error: 'otp.format', wait: await waitFor(s, account.id, 'register') }) };
    const result = await s.otp.check(account.id, 'register', code, 'personal');
    if (!result.ok) {
      await ctx.audit({ event: 'secure_channel.otp', outcome: 'failure', reason: result.reason, subject: account.id });
      if (result.lockedNow) await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: 'personal', subject: account.id });
      return { type: 'failure', page: codePage(target, { ...checkFeedback(result), wait: await waitFor(s, account.id, 'register') }) };
    }
    await s.secureChannels.set(account.id, { channel: target.channel, to: target.to, registeredAt: s.clock.now() });
    await ctx.audit({ event: 'secure_channel.register', outcome: 'success', reason: target.channel, subject: account.id });
    // The first-access password goes on the new channel; the member replaces it straight away.
    const password = firstAccessPassword(s.config.passwords.personal);
    await s.passwords.set(account.id, 'personal', password, { mustChange: true });
    let notice = 'secure_channel.registered';
    try {
      await s.delivery.send({ kind: 'first_access', channel: target.channel, to: target.to, locale: ctx.flow.locale, code: password });
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      await ctx.audit({ event: 'first_access.send', outcome: 'failure', reason: err.message, subject: account.id });
      notice = 'secure_channel.registered_not_sent';
    }
    return {
      type: 'success', notice, noticeParams: { to: maskContact(target.channel, target.to) },
      requiredActions: [{ id: 'change-password', args: { kind: 'personal', reason: 'first_access' } }],
    };
  },
});
