// "Changed your phone or email?": a member who can no longer receive codes asks for the secure
// channel to be reset, with fiscal code, member code and an identity document; the back office
// reviews it. "Forgot the member code?" sends it to a contact on record. Neither page tells whether
// the data matched (the audit log does), so they cannot be used to find out who is a member.
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../../src/services.ts';
import { citizenId, type Account } from '../../src/accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../../src/accounts/fiscal-code.ts';
import { describeFormError, FormError } from '../../src/http/form.ts';
import { safeEqual } from '../../src/crypto/safe-equal.ts';
import { DeliveryError } from '../../src/delivery/message.ts';
import { contactsOf, isMember } from '../../src/secure-channel/secure-channels.ts';
import { keys } from '../../src/store/keys.ts';
import { takeAttempt } from '../../src/http/rate-limit.ts';
import { atFloor } from '../../src/http/timing-floor.ts';
import { rememberReturn, signInLink } from '../../src/http/return-link.ts';
import { maxMegabytes, pageLocale, readDocumentForm, renderPage, type PageData } from './pages.ts';

const fiscalCode = z.string({ error: 'identify.fiscal_code_invalid' }).max(32, { error: 'form.too_long' })
  .transform((v) => normaliseFiscalCode(v.replace(/\s+/g, '')))
  .refine(isValidFiscalCode, { error: 'identify.fiscal_code_invalid' });
const memberCode = z.string({ error: 'reset.member_code_invalid' }).max(32, { error: 'form.too_long' })
  .transform((v) => v.trim().toUpperCase())
  .refine((v) => /^[A-Z0-9]{1,20}$/.test(v), { error: 'reset.member_code_invalid' });

const resetForm = z.object({ fiscal_code: fiscalCode, member_code: memberCode });
const memberCodeForm = z.object({ fiscal_code: fiscalCode, channel: z.enum(['email', 'sms'], { error: 'contact.channel' }) });

/** The member with this fiscal code and member code, if both match. */
export async function memberByCodes(s: Services, fiscal: string, member: string): Promise<{ account?: Account; reason?: string }> {
  const account = await s.accounts.findById(citizenId(fiscal));
  if (!account || account.disabled) return { reason: 'unknown' };
  if (!isMember(account)) return { reason: 'not a member' };
  if (!safeEqual(account.memberCode!.toUpperCase(), member)) return { reason: 'member code mismatch' };
  return { account };
}

function showReset(ctx: Koa.Context, s: Services, data: PageData = {}, status = 200) {
  renderPage(ctx, s, 'interactions/secure-channel/reset', { maxMb: maxMegabytes(s), ...data }, status);
}

function showMemberCode(ctx: Koa.Context, s: Services, data: PageData = {}, status = 200) {
  renderPage(ctx, s, 'interactions/secure-channel/member-code', data, status);
}

export function channelResetRoutes(router: Router, s: Services, form: Koa.Middleware[]): void {
  router.get('/channel-reset', (ctx) => {
    rememberReturn(ctx, s.config.ttl.interactionSeconds);
    showReset(ctx, s);
  });

  router.post('/channel-reset', async (ctx) => {
    let upload;
    try {
      upload = await readDocumentForm(ctx, s);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return showReset(ctx, s, { error: err.key, errorParams: { mb: maxMegabytes(s) } }, err.status);
    }
    const parsed = resetForm.safeParse(upload.fields);
    if (!parsed.success) {
      const { key, params } = describeFormError(parsed.error);
      return showReset(ctx, s, { error: key, errorParams: params }, 400);
    }
    const { fiscal_code, member_code } = parsed.data;
    // Every try counts toward the abuse limits (the short windows only: see forgot-password.ts), and
    // takes the same time, matched or not.
    await takeAttempt(ctx, s.limits, { ip: ctx.ip, account: citizenId(fiscal_code) });
    await atFloor(s.config.publicPageFloorMs, s.log, async () => {
      const found = await memberByCodes(s, fiscal_code, member_code);
      let reason = found.reason;
      if (found.account) {
        const created = await s.requests.create({ kind: 'channel-reset', accountId: found.account.id, locale: pageLocale(ctx), document: upload.document });
        reason = created.ok ? `channel-reset ${created.request.id}` : 'already pending';
      }
      await s.audit.record({ event: 'request.create', outcome: found.account && !reason?.startsWith('already') ? 'success' : 'failure', reason, subject: citizenId(fiscal_code), ip: ctx.ip });
    });
    renderPage(ctx, s, 'views/message', { title: 'request.received.title', notice: 'request.received_reset', links: [await signInLink(ctx, s.redis)] }, 202);
  });

  router.get('/channel-reset/member-code', (ctx) => {
    rememberReturn(ctx, s.config.ttl.interactionSeconds);
    showMemberCode(ctx, s);
  });

  router.post('/channel-reset/member-code', ...form, async (ctx) => {
    const parsed = memberCodeForm.safeParse(ctx.request.body);
    if (!parsed.success) {
      const { key, params } = describeFormError(parsed.error);
      return showMemberCode(ctx, s, { error: key, errorParams: params }, 400);
    }
    const { fiscal_code, channel } = parsed.data;
    await takeAttempt(ctx, s.limits, { ip: ctx.ip, account: citizenId(fiscal_code) });
    await atFloor(s.config.publicPageFloorMs, s.log, () => sendMemberCode(s, ctx, fiscal_code, channel));
    renderPage(ctx, s, 'views/message', {
      title: 'reset.member_code.title', notice: 'reset.member_code.sent_if',
      links: [{ href: '/channel-reset', label: 'reset.back' }, { href: '/forgot-password', label: 'forgot.link' }, await signInLink(ctx, s.redis)],
    });
  });
}

/** Sends the member code to the contact on record of that kind, when there is one (audited either way). */
async function sendMemberCode(s: Services, ctx: Koa.Context, fiscal_code: string, channel: 'email' | 'sms'): Promise<void> {
  const account = await s.accounts.findById(citizenId(fiscal_code));
  const contact = account && !account.disabled && isMember(account) ? contactsOf(account).find((c) => c.channel === channel) : undefined;
  let reason = contact ? 'sent' : account ? `no ${channel} on record or not a member` : 'unknown';
  // One message per member per OTP period, so the page cannot be used to flood anyone.
  if (contact && (await s.redis.set(keys.throttle(account!.id, 'member-code'), '1', 'PX', s.config.otp.validitySeconds * 1000, 'NX')) !== 'OK') reason = 'throttled';
  if (contact && reason === 'sent') {
    try {
      await s.delivery.send({ kind: 'member_code', channel, to: contact.to, locale: pageLocale(ctx), code: account!.memberCode! });
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      // The same page as for anyone else: a failure shown only to members would tell who is one.
      await s.redis.del(keys.throttle(account!.id, 'member-code'));
      reason = `delivery failed: ${err.message}`;
    }
  }
  await s.audit.record({ event: 'member_code.send', outcome: reason === 'sent' ? 'success' : 'failure', reason, subject: citizenId(fiscal_code), ip: ctx.ip });
}
