// /backoffice/requests: the back office reviews contact changes and channel resets. Reviewers are
// accounts with the 'backoffice' role, signed in at loa:2; the identity document is served only to
// them, and every view and decision is an audit event. Listing also deletes documents past
// retention.
import { displayName, loginNameOf } from '../../src/accounts/accounts.ts';
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../../src/services.ts';
import { requireStaff } from '../../src/backoffice/area.ts';
import { EXTENSION } from '../../src/documents/sniff.ts';
import { REQUEST_ID, type BackofficeRequest } from '../../src/requests/requests.ts';
import { approveRequest, rejectRequest } from '../../src/requests/review.ts';
import { pageLocale, renderPage, type PageData } from './pages.ts';
import { formatters } from '../../src/http/format.ts';

const decisionForm = z.object({
  csrf: z.string(),
  decision: z.enum(['approve', 'reject'], { error: 'backoffice.decision' }),
  note: z.string({ error: 'form.invalid' }).max(200, { error: 'form.too_long' }).optional(),
});

function row(s: Services, r: BackofficeRequest, locale: string) {
  const iso = (ms?: number) => (ms ? formatters(locale).dateTime(ms) : '');
  return {
    id: r.id, kindId: r.kind, kind: s.views.strings.t(locale, `request.kind.${r.kind}`), member: displayOf(r.accountId), status: r.status,
    created: iso(r.createdAt), decided: iso(r.decidedAt), decidedBy: r.decidedBy ?? '', note: r.note ?? '',
    change: r.kind === 'contact-change' ? `${s.views.strings.t(locale, `secure_channel.channel.${r.channel === 'sms' ? 'sms' : 'email'}`)}: ${r.value ?? ''}` : '',
    document: r.document ? `${r.document.type}, ${Math.ceil(r.document.size / 1024)} KiB` : '',
  };
}

async function reviewer(ctx: Koa.Context, s: Services) {
  return requireStaff(ctx, s);
}

const displayOf = (accountId: string) => { const n = loginNameOf(accountId); return n ? displayName(n) : accountId; };

function requestId(ctx: Koa.Context): string {
  const id = String(ctx.params.id ?? '');
  if (!REQUEST_ID.test(id)) ctx.throw(404, 'error.not_found');
  return id;
}

export function backofficeRoutes(router: Router, s: Services, form: Koa.Middleware[]): void {

  router.get('/backoffice/requests', async (ctx) => {
    const session = await reviewer(ctx, s);
    if (!session) return;
    const pending = (await s.requests.list('pending')).map((r) => row(s, r, pageLocale(ctx)));
    const decided = (await s.requests.list('decided', 50)).map((r) => row(s, r, pageLocale(ctx)));
    renderPage(ctx, s, 'interactions/secure-channel/backoffice-list', { pending, decided });
  });

  const showOne = async (ctx: Koa.Context, r: BackofficeRequest, data: PageData = {}, status = 200) => {
    renderPage(ctx, s, 'interactions/secure-channel/backoffice-request', { r: row(s, r, pageLocale(ctx)), pending: r.status === 'pending', hasDocument: !!r.document, ...data }, status);
  };

  router.get('/backoffice/requests/:id', async (ctx) => {
    const session = await reviewer(ctx, s);
    if (!session) return;
    const r = await s.requests.get(requestId(ctx));
    if (!r) return ctx.throw(404, 'error.not_found');
    await showOne(ctx, r);
  });

  router.get('/backoffice/requests/:id/document', async (ctx) => {
    const session = await reviewer(ctx, s);
    if (!session) return;
    const r = await s.requests.get(requestId(ctx));
    const data = r ? await s.requests.readDocument(r) : undefined;
    if (!r || !data || !r.document) return ctx.throw(404, 'error.not_found');
    await s.audit.record({ event: 'request.document', outcome: 'info', actor: session.account.id, subject: r.accountId, reason: r.id, ip: ctx.ip });
    ctx.type = r.document.type;
    ctx.set('cache-control', 'no-store');
    ctx.set('content-disposition', `inline; filename="request-${r.id}.${EXTENSION[r.document.type]}"`);
    // Shown by the browser, never run: no script, no plugin content, no framing by other sites.
    ctx.set('content-security-policy', "sandbox; default-src 'none'; img-src 'self'; object-src 'none'; frame-ancestors 'self'");
    ctx.body = data;
  });

  router.post('/backoffice/requests/:id', ...form, async (ctx) => {
    const session = await reviewer(ctx, s);
    if (!session) return;
    const id = requestId(ctx);
    const r = await s.requests.get(id);
    if (!r) return ctx.throw(404, 'error.not_found');
    const parsed = decisionForm.safeParse(ctx.request.body);
    if (!parsed.success) return showOne(ctx, r, { error: 'backoffice.decision' }, 400);
    const { decision, note } = parsed.data;
    const outcome = decision === 'approve'
      ? await approveRequest(s, id, session.account.id)
      : await rejectRequest(s, id, session.account.id, note ?? '');
    if (!outcome.ok) return showOne(ctx, (await s.requests.get(id)) ?? r, { error: `backoffice.not_decided.${outcome.reason}` }, 409);
    await showOne(ctx, outcome.request, { notice: outcome.notified ? `backoffice.${decision}d` : `backoffice.${decision}d_not_notified` });
  });
}
