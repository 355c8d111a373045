// /account/contact: a member asks to change the email address or the mobile number on record. The
// new contact is typed twice and a scan of an identity document is attached; the request waits for
// the back office, and the member is told the outcome.
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../../src/services.ts';
import { requireSession, type AccountSession } from '../../src/self-service/session.ts';
import { FormError } from '../../src/http/form.ts';
import { isMember } from '../../src/secure-channel/secure-channels.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { maxMegabytes, pageLocale, readDocumentForm, renderPage, type PageData } from './pages.ts';

const PHONE = /^\+[1-9]\d{6,14}$/;

const form = z.object({
  channel: z.enum(['email', 'sms'], { error: 'contact.channel' }),
  contact: z.string({ error: 'contact.required' }).max(254, { error: 'form.too_long' }).transform((v) => v.trim()),
  contact_confirm: z.string({ error: 'contact.required' }).max(254, { error: 'form.too_long' }).transform((v) => v.trim()),
}).transform((f, zctx) => {
  const value = f.channel === 'sms' ? f.contact.replace(/[\s.-]/g, '') : f.contact.toLowerCase();
  const confirm = f.channel === 'sms' ? f.contact_confirm.replace(/[\s.-]/g, '') : f.contact_confirm.toLowerCase();
  const valid = f.channel === 'sms' ? PHONE.test(value) : z.email().safeParse(value).success;
  if (!valid) zctx.addIssue({ code: 'custom', path: ['contact'], message: f.channel === 'sms' ? 'contact.phone_invalid' : 'contact.email_invalid' });
  else if (value !== confirm) zctx.addIssue({ code: 'custom', path: ['contact_confirm'], message: 'contact.mismatch' });
  return { channel: f.channel, value };
});

async function show(ctx: Koa.Context, s: Services, session: AccountSession, data: PageData = {}, status = 200) {
  const pending = await s.requests.pendingOf(session.account.id, 'contact-change');
  const channel = await s.secureChannels.get(session.account.id);
  renderPage(ctx, s, 'interactions/secure-channel/contact', {
    pending: !!pending, maxMb: maxMegabytes(s),
    current: { email: session.account.email ?? '', phone: session.account.phone ?? '' },
    secureChannel: channel ? `${s.views.strings.t(pageLocale(ctx), `secure_channel.channel.${channel.channel}`)}: ${maskContact(channel.channel, channel.to)}` : '',
    ...data,
  }, status);
}

export function contactChangeRoutes(router: Router, s: Services): void {
  router.get('/account/contact', async (ctx) => {
    const session = await requireSession(ctx, s);
    if (!session) return;
    if (!isMember(session.account)) ctx.throw(403, 'error.forbidden');
    await show(ctx, s, session);
  });

  router.post('/account/contact', async (ctx) => {
    const session = await requireSession(ctx, s);
    if (!session) return;
    if (!isMember(session.account)) ctx.throw(403, 'error.forbidden');
    let upload;
    try {
      upload = await readDocumentForm(ctx, s);
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      await s.audit.record({ event: 'request.create', outcome: 'failure', reason: `contact-change: ${err.key}`, subject: session.account.id, ip: ctx.ip });
      return show(ctx, s, session, { error: err.key, errorParams: { mb: maxMegabytes(s) } }, err.status);
    }
    const parsed = form.safeParse(upload.fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return show(ctx, s, session, { error: /^[a-z_]+\.[a-z_]+$/.test(issue.message) ? issue.message : 'form.invalid', errorParams: { field: issue.path.join('.') } }, 400);
    }
    const { channel, value } = parsed.data;
    if (value === (channel === 'email' ? session.account.email : session.account.phone)) return show(ctx, s, session, { error: 'contact.same' }, 400);
    const created = await s.requests.create({ kind: 'contact-change', accountId: session.account.id, locale: pageLocale(ctx), channel, value, document: upload.document });
    if (!created.ok) return show(ctx, s, session, { error: 'request.already_pending' }, 409);
    await s.audit.record({ event: 'request.create', outcome: 'success', reason: `contact-change ${created.request.id} ${channel}`, subject: session.account.id, ip: ctx.ip });
    renderPage(ctx, s, 'views/message', { title: 'request.received.title', notice: 'request.received_contact', links: [{ href: '/account', label: 'account.back' }] }, 202);
  });
}
