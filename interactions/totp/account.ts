// Self-service for the authenticator app, from a session at the strong level: set it up (QR code and
// otpauth:// URI, confirmed by the first code), synchronise it (two consecutive codes), remove it.
import QRCode from 'qrcode';
import { z } from 'zod';
import type Koa from 'koa';
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { showPage, type PageMessages } from '../../src/self-service/page.ts';
import { requireSession, type AccountSession } from '../../src/self-service/session.ts';
import { describeFormError } from '../../src/http/form.ts';
import { formPost } from '../../src/http/form-post.ts';
import type { Services } from '../../src/services.ts';
import { code } from './step.ts';
import { totpOf } from './devices.ts';

const setupForm = z.object({ totp: code });
const syncForm = z.object({ totp: code, totp_next: code });
const body = (ctx: Koa.Context) => ctx.request.body;

async function setupPage(ctx: Koa.Context, s: Services, session: AccountSession, m: PageMessages = {}) {
  const devices = totpOf(s);
  const secret = await devices.pendingSecret(session.account.id);
  const uri = devices.uri(session.account, secret);
  const qr = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 200 });
  const existing = await devices.status(session.account.id);
  showPage(ctx, s, session, 'interactions/totp/account-setup', { uri, secret, qr, replaces: !!existing }, m);
}

export const totpAccount: AccountPlugin = {
  async credentials(session, s) {
    const status = await totpOf(s).status(session.account.id);
    if (!status) {
      return { id: 'totp', title: 'method.totp', facts: [{ label: 'totp.state', value: 'totp.state.none', translate: true, id: 'totp-state' }], actions: [{ href: '/account/totp/setup', label: 'totp.setup' }] };
    }
    return {
      id: 'totp', title: 'method.totp',
      facts: [
        { label: 'totp.since', value: new Date(status.createdAt).toISOString(), date: true, id: 'totp-since' },
        { label: 'totp.state', value: status.locked ? 'totp.state.locked' : 'totp.state.active', translate: true, id: 'totp-state' },
      ],
      actions: [
        { href: '/account/totp/sync', label: 'totp.sync' },
        { href: '/account/totp/setup', label: 'totp.replace' },
        { href: '/account/totp/remove', label: 'totp.remove' },
      ],
    };
  },

  async removeMobileCredential(accountId, s) {
    return totpOf(s).remove(accountId);
  },

  routes(router, s) {
    const form = formPost(s);
    const strong = (ctx: Koa.Context) => requireSession(ctx, s, { acr: s.config.strongAcr });

    router.get('/account/totp/setup', async (ctx) => {
      const session = await strong(ctx);
      if (session) await setupPage(ctx, s, session);
    });
    router.post('/account/totp/setup', ...form, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const parsed = setupForm.safeParse(body(ctx));
      if (!parsed.success) {
        const { key, params } = describeFormError(parsed.error);
        return setupPage(ctx, s, session, { error: key, errorParams: params });
      }
      const id = session.account.id;
      if (!(await totpOf(s).confirm(id, parsed.data.totp))) {
        await s.audit.record({ event: 'totp.enrol', outcome: 'failure', reason: 'wrong', actor: id, subject: id, ip: ctx.ip });
        return setupPage(ctx, s, session, { error: 'totp.setup_rejected', status: 401 });
      }
      await s.audit.record({ event: 'totp.enrol', outcome: 'success', actor: id, subject: id, ip: ctx.ip });
      showPage(ctx, s, session, 'interactions/totp/account-done', {}, { notice: 'totp.setup_done' });
    });

    router.get('/account/totp/sync', async (ctx) => {
      const session = await strong(ctx);
      if (session) showPage(ctx, s, session, 'interactions/totp/account-sync');
    });
    router.post('/account/totp/sync', ...form, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const parsed = syncForm.safeParse(body(ctx));
      if (!parsed.success) {
        const { key, params } = describeFormError(parsed.error);
        return showPage(ctx, s, session, 'interactions/totp/account-sync', {}, { error: key, errorParams: params });
      }
      const id = session.account.id;
      const result = await totpOf(s).resync(id, parsed.data.totp, parsed.data.totp_next);
      await s.audit.record({ event: 'totp.resync', outcome: result === 'ok' ? 'success' : 'failure', reason: result === 'ok' ? undefined : result, actor: id, subject: id, ip: ctx.ip });
      if (result !== 'ok') return showPage(ctx, s, session, 'interactions/totp/account-sync', {}, { error: result === 'none' ? 'totp.none' : 'totp.sync_rejected', status: result === 'none' ? 404 : 401 });
      showPage(ctx, s, session, 'interactions/totp/account-done', {}, { notice: 'totp.sync_done' });
    });

    router.get('/account/totp/remove', async (ctx) => {
      const session = await strong(ctx);
      if (session) showPage(ctx, s, session, 'interactions/totp/account-remove');
    });
    router.post('/account/totp/remove', ...form, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const id = session.account.id;
      const removed = await totpOf(s).remove(id);
      await s.audit.record({ event: 'totp.remove', outcome: removed ? 'success' : 'info', reason: removed ? undefined : 'none', actor: id, subject: id, ip: ctx.ip });
      showPage(ctx, s, session, 'interactions/totp/account-done', {}, { notice: removed ? 'totp.removed' : 'totp.none' });
    });
  },
};

