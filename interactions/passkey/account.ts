// Self-service for passkeys: their line on the credentials page, and /account/passkeys (a session at
// the strong level, like the app's set-up): create one (named; the page script calls the two JSON
// routes), rename, remove. Also serves the page scripts (static files of our origin).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import { z } from 'zod';
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { pageLocale, showPage } from '../../src/self-service/page.ts';
import { requireSession, type AccountSession } from '../../src/self-service/session.ts';
import { describeFormError } from '../../src/http/form.ts';
import { formPost } from '../../src/http/form-post.ts';
import type { Services } from '../../src/services.ts';
import { messageKey } from './login.ts';
import { passkeyName, passkeysOf } from './passkeys.ts';
import { passkeySettings } from './settings.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// The @simplewebauthn/browser bundle, from node_modules (no remote assets).
const BUNDLE = path.join(path.dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js');

const credentialId = z.string({ error: 'form.invalid' }).min(1).max(1400).regex(/^[A-Za-z0-9_-]+$/, { error: 'form.invalid' });
const optionsForm = z.object({ name: passkeyName });
const registerForm = z.object({ response: z.unknown() });
const renameForm = z.object({ id: credentialId, name: passkeyName });
const removeForm = z.object({ id: credentialId });
const DONE = { added: 'passkey.added', renamed: 'passkey.renamed', removed: 'passkey.removed' } as const;

const day = (ms: number | undefined) => (ms ? new Date(ms).toISOString().slice(0, 10) : undefined);

async function listPage(ctx: Koa.Context, s: Services, session: AccountSession, m: { error?: string; notice?: string; status?: number } = {}) {
  const passkeys = passkeysOf(s);
  const [list, state] = await Promise.all([passkeys.list(session.account.id), passkeys.state(session.account.id)]);
  const max = passkeySettings.of(s.config).maxPerUser;
  showPage(ctx, s, session, 'interactions/passkey/account', {
    passkeys: list.map((p) => ({ ...p, created: day(p.createdAt), lastUsed: day(p.lastUsedAt), synced: p.deviceType === 'multiDevice' || p.backedUp })),
    locked: state.locked, full: list.length >= max, max,
  }, { ...m, errorParams: { max } });
}

function json(ctx: Koa.Context, s: Services, status: number, body: Record<string, unknown>, errorKey?: string) {
  ctx.status = status;
  ctx.set('cache-control', 'no-store');
  ctx.body = errorKey ? { error: s.views.strings.t(pageLocale(ctx), errorKey, { max: passkeySettings.of(s.config).maxPerUser }) } : body;
}

function asset(router: Parameters<NonNullable<AccountPlugin['routes']>>[0], url: string, file: string) {
  const body = readFileSync(file);
  router.get(url, (ctx) => {
    ctx.type = 'application/javascript';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = body;
  });
}

export const passkeyAccount: AccountPlugin = {
  async credentials(session, s) {
    const passkeys = passkeysOf(s);
    if (!passkeys.usable()) return undefined;
    const [count, state] = await Promise.all([passkeys.count(session.account.id), passkeys.state(session.account.id)]);
    return {
      id: 'passkey', title: 'passkey.section',
      facts: [
        { label: 'passkey.count', value: String(count), id: 'passkey-count' },
        ...(count ? [{ label: 'passkey.state', value: state.locked ? 'passkey.state.locked' : 'passkey.state.active', translate: true, id: 'passkey-state' }] : []),
      ],
      actions: [{ href: '/account/passkeys', label: count ? 'passkey.manage' : 'passkey.add' }],
    };
  },

  async removeMobileCredential(accountId, s) {
    return passkeysOf(s).removeAll(accountId);
  },

  routes(router, s) {
    asset(router, '/assets/passkey/passkey.js', path.join(HERE, 'assets', 'passkey.js'));
    asset(router, '/assets/passkey/webauthn.js', BUNDLE);
    const form = formPost(s);
    const jsonBody = formPost(s, { json: true });
    const strong = (ctx: Koa.Context) => requireSession(ctx, s, { acr: s.config.strongAcr });

    router.get('/account/passkeys', async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const done = typeof ctx.query.done === 'string' && ctx.query.done in DONE ? DONE[ctx.query.done as keyof typeof DONE] : undefined;
      await listPage(ctx, s, session, { notice: done });
    });

    // The page script: a challenge for a new passkey, then the browser's answer.
    router.post('/account/passkeys/options', ...jsonBody, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const parsed = optionsForm.safeParse(ctx.request.body);
      if (!parsed.success) return json(ctx, s, 400, {}, describeFormError(parsed.error).key);
      const options = await passkeysOf(s).registrationOptions(session.account, parsed.data.name);
      if (options === 'too_many') return json(ctx, s, 409, {}, 'passkey.too_many');
      json(ctx, s, 200, { options });
    });
    router.post('/account/passkeys', ...jsonBody, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      if (!ctx.is('application/json')) return listPage(ctx, s, session, { error: 'passkey.needs_script' });
      const parsed = registerForm.safeParse(ctx.request.body);
      if (!parsed.success) return json(ctx, s, 400, {}, 'passkey.malformed');
      const id = session.account.id;
      const result = await passkeysOf(s).register(id, parsed.data.response);
      if (!result.ok) {
        await s.audit.record({ event: 'passkey.register', outcome: 'failure', reason: result.reason, actor: id, subject: id, ip: ctx.ip });
        const key = ['malformed', 'expired', 'wrong_origin', 'wrong_rp', 'model', 'too_many', 'duplicate'].includes(result.reason) ? messageKey(result.reason) : 'passkey.register_rejected';
        return json(ctx, s, result.reason === 'malformed' ? 400 : result.reason === 'too_many' || result.reason === 'duplicate' ? 409 : 401, {}, key);
      }
      const p = result.passkey;
      await s.audit.record({ event: 'passkey.register', outcome: 'success', actor: id, subject: id, ip: ctx.ip, reason: `${p.fmt} ${p.aaguid} ${p.deviceType}` });
      json(ctx, s, 201, { ok: true, location: '/account/passkeys?done=added' });
    });

    router.post('/account/passkeys/rename', ...form, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const parsed = renameForm.safeParse(ctx.request.body);
      if (!parsed.success) return listPage(ctx, s, session, { error: describeFormError(parsed.error).key });
      const id = session.account.id;
      if (!(await passkeysOf(s).rename(id, parsed.data.id, parsed.data.name))) return listPage(ctx, s, session, { error: 'passkey.unknown', status: 404 });
      await s.audit.record({ event: 'passkey.rename', outcome: 'success', actor: id, subject: id, ip: ctx.ip });
      ctx.status = 303;
      ctx.redirect('/account/passkeys?done=renamed');
    });

    router.post('/account/passkeys/remove', ...form, async (ctx) => {
      const session = await strong(ctx);
      if (!session) return;
      const parsed = removeForm.safeParse(ctx.request.body);
      if (!parsed.success) return listPage(ctx, s, session, { error: describeFormError(parsed.error).key });
      const id = session.account.id;
      if (!(await passkeysOf(s).remove(id, parsed.data.id))) return listPage(ctx, s, session, { error: 'passkey.unknown', status: 404 });
      await s.audit.record({ event: 'passkey.remove', outcome: 'success', actor: id, subject: id, ip: ctx.ip });
      ctx.status = 303;
      ctx.redirect('/account/passkeys?done=removed');
    });
  },
};
