// Required action after the certificate step, from CERT_RENEW_OFFER_DAYS before the certificate
// expires: the days left with "renew" or "continue"; from CERT_RENEW_REQUIRED_DAYS renewal is
// mandatory. Renewal asks for the company's administrator password (as the bank's rules say) and
// repeats the activation: a key pair made in the browser, its CSR posted here as JSON, the new
// certificate back for the browser's PKCS#12. The old certificate is revoked once the new one has
// been used to log in (certificate step).
import { z } from 'zod';
import { adminId } from '../../src/companies/companies.ts';
import { defineStep, type StepContext, type StepResult } from '../../src/flow/step.ts';
import { field } from '../../src/http/form.ts';
import { CertError, Certificates, certificatesOf } from './certificates.ts';
import { issueWithServerKey } from './cli.ts';
import { downloadTicket, issuedJson, issueFromCsr, keysForm } from './issuance.ts';
import { p12PasswordProblem } from './pkcs12.ts';

const state = z.object({
  stage: z.enum(['password', 'keys', 'issued']),
  identifier: z.string().optional(),
  serial: z.string().optional(),
  ticket: z.string().optional(),
});
type State = z.infer<typeof state>;
type Ctx = StepContext<State>;

const form = z.object({
  choice: z.enum(['renew', 'continue'], { error: 'form.invalid' }).optional(),
  password: field(256).optional(),
  csr: z.string({ error: 'certificate.csr_malformed' }).max(20_000, { error: 'certificate.csr_malformed' }).optional(),
  p12_password: field(256).optional(),
  p12_password_confirm: field(256).optional(),
  done: z.literal('1', { error: 'form.invalid' }).optional(),
});

const mandatory = (ctx: Ctx) => ctx.args.mandatory === '1';

function page(ctx: Ctx, extra: { error?: string; errorParams?: Record<string, string | number>; status?: number } = {}) {
  const stage = ctx.state?.stage ?? (mandatory(ctx) ? 'password' : 'choose');
  const data: Record<string, unknown> = { days: Number(ctx.args.days ?? 0), mandatory: mandatory(ctx) };
  const account = ctx.account;
  if (stage === 'keys' && account && ctx.state?.identifier) {
    Object.assign(data, keysForm(account, ctx.state.identifier, `/interaction/${ctx.uid}`), { postUrl: `/interaction/${ctx.uid}`, renewal: true });
  }
  if (stage === 'issued') Object.assign(data, { identifier: ctx.state?.identifier, download: ctx.state?.ticket ? `/certificate/download/${ctx.state.ticket}` : undefined });
  return { view: `interactions/certificate/renew-${stage}`, data, ...extra };
}

const again = (ctx: Ctx, extra: Parameters<typeof page>[1] = {}): StepResult => ({ type: 'challenge', page: { ...page(ctx, extra), status: extra.status ?? 200 } });

export const renewalStep = defineStep({
  id: 'certificate-renewal',
  kind: 'required-action',
  amr: [],
  requiresUser: true,
  json: true,
  state,
  form,
  async render(ctx) {
    return page(ctx);
  },
  async action(ctx, f): Promise<StepResult> {
    const account = ctx.account;
    const s = ctx.services;
    if (!account || !Certificates.holds(account)) return { type: 'success' };
    const stage = ctx.state?.stage ?? (mandatory(ctx) ? 'password' : 'choose');

    if (stage === 'choose') {
      if (f.choice === 'continue') {
        await ctx.audit({ event: 'certificate.renew', outcome: 'info', reason: `postponed, ${ctx.args.days} days left` });
        return { type: 'success' };
      }
      if (f.choice !== 'renew') return again(ctx, { error: 'form.invalid', errorParams: { field: 'choice' }, status: 400 });
      ctx.setState({ stage: 'password' });
      return again(ctx);
    }

    if (stage === 'password') {
      if (!f.password) return again(ctx, { error: 'password.required', status: 400 });
      const admin = adminId(account.companyCode ?? '');
      const result = await s.passwords.verify(admin, 'administrator', f.password);
      if (!result.ok) {
        await ctx.audit({ event: 'certificate.renew.password', outcome: 'failure', reason: result.reason, subject: admin });
        if (result.reason === 'locked_now') await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: 'administrator', subject: admin });
        return { type: 'failure', page: { ...page(ctx), error: 'certificate.renew_password_rejected' } };
      }
      let identifier: string;
      try {
        identifier = await certificatesOf(s).nextIdentifier(account);
      } catch (err) {
        if (err instanceof CertError) return again(ctx, { error: err.key, status: err.status });
        throw err;
      }
      await ctx.audit({ event: 'certificate.renew.password', outcome: 'success', subject: admin, reason: `identifier ${identifier}` });
      ctx.setState({ stage: 'keys', identifier });
      return again(ctx);
    }

    if (stage === 'keys') {
      const identifier = ctx.state!.identifier!;
      const replaces = ctx.args.serial;
      if (f.csr !== undefined) {
        // The page script's JSON: a CSR for the key pair it just made.
        try {
          const record = await issueFromCsr(s, { holder: account, identifier, csr: f.csr, replaces, actor: account.id, ip: ctx.request.ip });
          ctx.setState({ stage: 'issued', identifier, serial: record.serial });
          return { type: 'json', body: await issuedJson(s, record) };
        } catch (err) {
          if (!(err instanceof CertError)) throw err;
          await ctx.audit({ event: 'certificate.issue', outcome: 'failure', reason: err.key });
          return { type: 'json', status: err.status, body: { error: err.key, error_description: s.views.strings.t(ctx.flow.locale, err.key) } };
        }
      }
      // No script, or no WebCrypto: the server makes the key; the PKCS#12 is downloaded once.
      const problem = f.p12_password === undefined ? 'certificate.p12_password_short' : p12PasswordProblem(f.p12_password, f.p12_password_confirm ?? '');
      if (problem) return again(ctx, { error: problem, errorParams: { min: 8, field: 'p12_password' }, status: 400 });
      const { record, p12 } = await issueWithServerKey(s, account.id, f.p12_password!, account.id, replaces, identifier);
      ctx.setState({ stage: 'issued', identifier, serial: record.serial, ticket: await downloadTicket(s, p12, record.identifier) });
      return again(ctx);
    }

    // issued: "continue" (the login goes on with the certificate it was started with).
    await ctx.audit({ event: 'certificate.renew', outcome: 'success', reason: `serial ${ctx.state?.serial} renews ${ctx.args.serial}` });
    return { type: 'success' };
  },
});
