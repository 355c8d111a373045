// Certificates on the account pages: a company user's own (credentials page); the company
// administrator's list of the company's certificates (/account/company/CODE/certificates), and the
// back office's (/backoffice/certificates, any company), each with revoke, and remove for the
// expired or revoked ones. Anyone else gets a 403 and an audit event; nothing changes.
import type Koa from 'koa';
import { z } from 'zod';
import type { AccountPlugin } from '../../src/self-service/plugin.ts';
import { showPage, postedForm, pageLocale, type PageMessages } from '../../src/self-service/page.ts';
import { confirmed, confirmPage } from '../../src/self-service/confirm.ts';
import type { AccountSession } from '../../src/self-service/session.ts';
import { requireCompanyAdmin } from '../../src/self-service/company-admin.ts';
import { requireStaff } from '../../src/backoffice/area.ts';
import { COMPANY_CODE } from '../../src/companies/companies.ts';
import { formPost } from '../../src/http/form-post.ts';
import type { Services } from '../../src/services.ts';
import { certificatesOf, Certificates, daysLeft, stateOf, type CertRecord } from './certificates.ts';
import { isRevocationReason, type RevocationReason } from './crl.ts';
import { certificateSettings } from './settings.ts';
import { certKeys } from './keys.ts';

/** Reasons a company administrator or the back office may give. */
const PAGE_REASONS: RevocationReason[] = ['keyCompromise', 'affiliationChanged', 'cessationOfOperation', 'privilegeWithdrawn', 'unspecified'];
const revokeForm = z.object({
  reason: z.string().max(40).refine((r) => isRevocationReason(r) && PAGE_REASONS.includes(r), { error: 'certificate.reason_invalid' }),
});

const requireForm = z.object({ company: z.string().regex(COMPANY_CODE), required: z.enum(['0', '1']) });

function rows(list: CertRecord[], now: number) {
  return list.map((r) => ({
    serial: r.serial, identifier: r.identifier, who: r.operatorCode || '—', state: stateOf(r, now), reason: r.reason,
    until: new Date(r.notAfter).toISOString().slice(0, 10), days: daysLeft(r, now),
  }));
}

/**
 * Revokes or removes one certificate; a revocation (it cannot be undone) is confirmed first: without
 * confirm=1 the answer is the "are you sure?" page and 'confirming' (the caller shows nothing more).
 */
async function revokeOrRemove(ctx: Koa.Context, s: Services, session: AccountSession, record: CertRecord, action: string, back: string): Promise<PageMessages | 'confirming'> {
  const actor = session.account.id;
  const certs = certificatesOf(s);
  if (action === 'remove') {
    return (await certs.remove(record.serial, actor, ctx.ip)) ? { notice: 'certificate.removed' } : { error: 'certificate.remove_valid', status: 409 };
  }
  const parsed = revokeForm.safeParse(postedForm(ctx));
  if (!parsed.success) return { error: 'certificate.reason_invalid', status: 400 };
  if (!confirmed(ctx)) {
    confirmPage(ctx, s, session, {
      title: 'certificate.revoke_confirm.title', what: ['certificate.revoke_confirm.what'], submit: 'certificate.revoke',
      params: { identifier: record.identifier, reason: s.views.strings.t(pageLocale(ctx), `certificate.reason.${parsed.data.reason}`) },
      action: ctx.path, hidden: [['reason', parsed.data.reason]], back,
    });
    return 'confirming';
  }
  const done = await certs.revoke(record.serial, parsed.data.reason as RevocationReason, actor, ctx.ip);
  return done === 'ok' ? { notice: 'certificate.revoked' } : { error: 'certificate.already_revoked', status: 409 };
}

export const certificateAccount: AccountPlugin = {
  async links(session) {
    const out = [];
    if (session.account.type === 'administrator' && session.account.companyCode) out.push({ href: `/account/company/${session.account.companyCode}/certificates`, label: 'certificate.link.company' });
    return out;
  },

  async backoffice() {
    return [{ href: '/backoffice/certificates', label: 'certificate.link.backoffice' }];
  },

  async credentials(session, s) {
    if (!Certificates.holds(session.account) || certificateSettings.of(s.config).mode === 'off') return undefined;
    const now = s.clock.now();
    const mine = (await certificatesOf(s).ofAccount(session.account.id)).filter((r) => stateOf(r, now) === 'active');
    const facts = mine.length
      ? mine.map((r) => ({ label: 'certificate.valid_until', value: `${r.identifier}: ${new Date(r.notAfter).toISOString().slice(0, 10)}`, id: `cert-${r.serial}` }))
      : [{ label: 'certificate.state', value: 'certificate.state.none', translate: true, id: 'cert-none' }];
    return { id: 'certificate', title: 'certificate.title', facts, actions: [{ href: '/certificate/activate', label: 'certificate.activate_link' }] };
  },

  routes(router, s) {
    const form = formPost(s);

    // The company administrator: this company's certificates.
    const companyPage = async (ctx: Koa.Context, m: PageMessages = {}) => {
      const a = await requireCompanyAdmin(ctx, s);
      if (!a) return undefined;
      const list = await certificatesOf(s).ofCompany(a.company.code);
      showPage(ctx, s, a.session, 'interactions/certificate/company-list', {
        company: a.company, base: a.base, rows: rows(list, s.clock.now()), reasons: PAGE_REASONS, action: `${a.base}/certificates`,
      }, m);
      return a;
    };
    router.get('/account/company/:company/certificates', (ctx) => companyPage(ctx));
    router.post('/account/company/:company/certificates/:serial/:action', ...form, async (ctx) => {
      const a = await requireCompanyAdmin(ctx, s);
      if (!a) return;
      const record = await certificatesOf(s).get(String(ctx.params.serial).toUpperCase());
      const action = String(ctx.params.action);
      if (!['revoke', 'remove'].includes(action)) return ctx.throw(404, 'error.not_found');
      if (!record || record.companyCode !== a.company.code) {
        await s.audit.record({ event: 'access.denied', outcome: 'failure', reason: record ? 'certificate of another company' : 'no such certificate', actor: a.session.account.id, subject: ctx.path, ip: ctx.ip });
        return ctx.throw(record ? 403 : 404, record ? 'error.forbidden' : 'error.not_found');
      }
      const m = await revokeOrRemove(ctx, s, a.session, record, action, `${a.base}/certificates`);
      if (m !== 'confirming') await companyPage(ctx, m);
    });

    // The back office: any company's (the latest, or one company's with ?company=).
    const staff = (ctx: Koa.Context) => requireStaff(ctx, s);
    const staffPage = async (ctx: Koa.Context, session: AccountSession, m: PageMessages = {}, company?: string) => {
      const raw = company ?? (typeof ctx.query.company === 'string' ? ctx.query.company.trim() : '');
      const q = COMPANY_CODE.test(raw) ? raw : '';
      const certs = certificatesOf(s);
      const list = q ? await certs.ofCompany(q) : await certs.latest();
      const required = q ? (await s.redis.sismember(certKeys.requireCertificate, q)) === 1 : undefined;
      showPage(ctx, s, session, 'interactions/certificate/backoffice-list', {
        q, required, rows: rows(list, s.clock.now()).map((r, i) => ({ ...r, company: list[i]!.companyCode })), reasons: PAGE_REASONS, action: '/backoffice/certificates',
      }, m);
    };
    router.get('/backoffice/certificates', async (ctx) => {
      const session = await staff(ctx);
      if (session) await staffPage(ctx, session);
    });
    // Whether a company's administrator and operators must log in with a certificate.
    router.post('/backoffice/certificates/require', ...form, async (ctx) => {
      const session = await staff(ctx);
      if (!session) return;
      const parsed = requireForm.safeParse(postedForm(ctx));
      if (!parsed.success) return staffPage(ctx, session, { error: 'form.invalid', errorParams: { field: 'company' }, status: 400 });
      const { company, required } = parsed.data;
      if (required === '1') await s.redis.sadd(certKeys.requireCertificate, company);
      else await s.redis.srem(certKeys.requireCertificate, company);
      await s.audit.record({ event: 'certificate.require', outcome: 'success', actor: session.account.id, subject: company, ip: ctx.ip, reason: required === '1' ? 'on' : 'off' });
      await staffPage(ctx, session, { notice: required === '1' ? 'certificate.required_on' : 'certificate.required_off' }, company);
    });
    router.post('/backoffice/certificates/:serial/:action', ...form, async (ctx) => {
      const session = await staff(ctx);
      if (!session) return;
      const action = String(ctx.params.action);
      if (!['revoke', 'remove'].includes(action)) return ctx.throw(404, 'error.not_found');
      const record = await certificatesOf(s).get(String(ctx.params.serial).toUpperCase());
      if (!record) return ctx.throw(404, 'error.not_found');
      const m = await revokeOrRemove(ctx, s, session, record, action, '/backoffice/certificates');
      if (m !== 'confirming') await staffPage(ctx, session, m);
    });
  },
};

