// Activation ("Accesso Operatore / Amministratore" without a certificate yet), at /certificate/activate:
// company code (+ operator code; none for the administrator) → the company's activation password (the
// kind's lockout and expiry) → a key pair made in the browser, a CSR posted to /certificate/activate/csr,
// the certificate back, and a PKCS#12 made in the browser for the user to download with the CA
// certificate. Without WebCrypto the same form posts the PKCS#12 password and the server makes the key
// (a one-time download). The pages never tell an unknown company or operator from a wrong password.
import { takeAttempt } from '../../src/http/rate-limit.ts';
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { accountIdFor, displayName, loginNameOf } from '../../src/accounts/accounts.ts';
import { adminId } from '../../src/companies/companies.ts';
import { describeFormError, field } from '../../src/http/form.ts';
import { formPost } from '../../src/http/form-post.ts';
import { browserId } from '../../src/http/csrf.ts';
import { showPage } from '../../src/self-service/page.ts';
import type { Services } from '../../src/services.ts';
import { CertError, Certificates } from './certificates.ts';
import { issueWithServerKey } from './cli.ts';
import { downloadTicket, issuedJson, issueFromCsr, keysForm, redeemTicket } from './issuance.ts';
import { certKeys } from './keys.ts';
import { p12PasswordProblem } from './pkcs12.ts';

const TTL_SECONDS = 900;
export const ACTIVATION = '/certificate/activate';

interface State {
  stage: 'password' | 'keys' | 'done';
  /** What was typed (account id form), and the account when it can hold a certificate. */
  name: string;
  companyCode: string;
  accountId?: string;
  identifier?: string;
  serial?: string;
  ticket?: string;
}

const identifyForm = z.object({
  company_code: field(32).transform((v) => v.replace(/\s+/g, '')).pipe(z.string().regex(/^\d{8}$/, { error: 'identify.company_code_invalid' })),
  operator_code: field(64).default('').transform((v) => v.replace(/\s+/g, '')).pipe(z.string().regex(/^[A-Za-z0-9]{0,20}$/, { error: 'identify.operator_code_invalid' })),
});
const passwordForm = z.object({ password: field(256).min(1, { error: 'password.required' }) });
const p12Form = z.object({ p12_password: field(256), p12_password_confirm: field(256) });

async function load(s: Services, id: string): Promise<State | undefined> {
  const raw = await s.redis.get(certKeys.activation(id));
  return raw ? (JSON.parse(raw) as State) : undefined;
}
const save = (s: Services, id: string, state: State) => s.redis.set(certKeys.activation(id), JSON.stringify(state), 'EX', TTL_SECONDS);

type Messages = { error?: string; errorParams?: Record<string, string | number>; notice?: string; status?: number };

function show(ctx: Koa.Context, s: Services, state: State | undefined, m: Messages = {}, extra: Record<string, unknown> = {}) {
  const stage = state?.stage ?? 'identify';
  const holder = state?.accountId ? { id: state.accountId, type: state.name.startsWith('A.') ? 'administrator' as const : 'operator' as const, companyCode: state.companyCode } : undefined;
  const name = state ? loginNameOf(state.name) : undefined;
  const data: Record<string, unknown> = { who: name ? displayName(name) : undefined, action: ACTIVATION, ...extra };
  if (stage === 'keys' && holder && state?.identifier) Object.assign(data, keysForm(holder, state.identifier, `${ACTIVATION}/csr`), { postUrl: ACTIVATION });
  if (stage === 'done') Object.assign(data, { identifier: state?.identifier, download: state?.ticket ? `/certificate/download/${state.ticket}` : undefined });
  showPage(ctx, s, undefined, `interactions/certificate/activate-${stage}`, data, m);
}

export function activationRoutes(router: Router, s: Services): void {
  const form = formPost(s);

  router.get(ACTIVATION, async (ctx) => {
    const id = browserId(ctx, true)!;
    show(ctx, s, await load(s, id));
  });

  router.post(ACTIVATION, ...form, async (ctx) => {
    const body = ctx.request.body ?? {};
    // The form token matched this browser's id (formPost): it names the activation's state.
    const id = browserId(ctx, false)!;
    const state = await load(s, id);
    if (body.restart === '1' || !state) {
      if (body.restart === '1') {
        await s.redis.del(certKeys.activation(id));
        return show(ctx, s, undefined);
      }
      const parsed = identifyForm.safeParse(body);
      if (!parsed.success) {
        const { key, params } = describeFormError(parsed.error);
        return show(ctx, s, undefined, { error: key, errorParams: params, status: 400 });
      }
      const { company_code: companyCode, operator_code: operator } = parsed.data;
      const name = accountIdFor({ type: 'company', companyCode, operatorCode: operator ? operator.toUpperCase() : undefined });
      const account = await s.accounts.findById(name);
      const holds = !!account && !account.disabled && Certificates.holds(account);
      await s.audit.record({ event: 'certificate.activate.start', outcome: holds ? 'info' : 'failure', reason: holds ? undefined : account ? 'cannot hold a certificate' : 'unknown', subject: name, ip: ctx.ip });
      const next: State = { stage: 'password', name, companyCode, accountId: holds ? account.id : undefined };
      await save(s, id, next);
      return show(ctx, s, next);
    }

    if (state.stage === 'password') {
      const parsed = passwordForm.safeParse(body);
      if (!parsed.success) return show(ctx, s, state, { error: 'password.required', status: 400 });
      // The company's activation password (kept with its administrator); nobody's for an unknown name,
      // with the same work done. Each try counts toward the abuse limits, per address and per name
      // (known or not: nothing tells them apart); a right one gives its point back.
      const attempt = await takeAttempt(ctx, s.limits, { ip: ctx.ip, account: state.name, slow: true });
      const result = await s.passwords.verify(state.accountId ? adminId(state.companyCode) : undefined, 'activation', parsed.data.password);
      if (result.ok) await attempt.release();
      const expired = result.ok && result.changeRequired === 'expired';
      if (!result.ok || expired) {
        const reason = result.ok ? 'expired' : result.reason;
        await s.audit.record({ event: 'certificate.activate.password', outcome: 'failure', reason, subject: state.name, ip: ctx.ip });
        if (reason === 'locked_now') await s.audit.record({ event: 'credential.locked', outcome: 'info', reason: 'activation', subject: adminId(state.companyCode), ip: ctx.ip });
        return show(ctx, s, state, { error: 'certificate.activation_rejected', status: 401 });
      }
      let identifier: string;
      try {
        identifier = await new Certificates(s).nextIdentifier({ id: state.accountId!, type: 'operator', companyCode: state.companyCode });
      } catch (err) {
        if (err instanceof CertError) return show(ctx, s, state, { error: err.key, status: err.status });
        throw err;
      }
      await s.audit.record({ event: 'certificate.activate.password', outcome: 'success', subject: state.name, ip: ctx.ip, reason: `identifier ${identifier}` });
      const next: State = { ...state, stage: 'keys', identifier };
      await save(s, id, next);
      return show(ctx, s, next);
    }

    if (state.stage === 'keys') {
      // No script, or no WebCrypto: the server makes the key and hands over the PKCS#12 once.
      const parsed = p12Form.safeParse(body);
      const problem = parsed.success ? p12PasswordProblem(parsed.data.p12_password, parsed.data.p12_password_confirm) : 'form.invalid';
      if (!parsed.success || problem) return show(ctx, s, state, { error: problem, errorParams: { min: 8, field: 'p12_password' }, status: 400 });
      const { record, p12 } = await issueWithServerKey(s, state.accountId!, parsed.data.p12_password, 'activation', undefined, state.identifier);
      const next: State = { ...state, stage: 'done', serial: record.serial, ticket: await downloadTicket(s, p12, record.identifier) };
      await save(s, id, next);
      return show(ctx, s, next);
    }
    return show(ctx, s, state);
  });

  // The page script: a CSR for the key pair it just made.
  router.post(`${ACTIVATION}/csr`, ...formPost(s, { json: true }), async (ctx) => {
    const body = ctx.request.body ?? {};
    const id = browserId(ctx, false)!;
    const state = await load(s, id);
    ctx.set('cache-control', 'no-store');
    if (state?.stage !== 'keys' || !state.accountId || !state.identifier) {
      ctx.status = 409;
      ctx.body = { error: 'certificate.activation_not_ready', error_description: s.views.strings.t('en', 'certificate.activation_not_ready') };
      return;
    }
    const holder = { id: state.accountId, type: state.name.startsWith('A.') ? 'administrator' as const : 'operator' as const, companyCode: state.companyCode };
    try {
      const record = await issueFromCsr(s, { holder, identifier: state.identifier, csr: body.csr, actor: 'activation', ip: ctx.ip });
      await save(s, id, { ...state, stage: 'done', serial: record.serial });
      ctx.body = await issuedJson(s, record);
    } catch (err) {
      if (!(err instanceof CertError)) throw err;
      await s.audit.record({ event: 'certificate.issue', outcome: 'failure', reason: err.key, subject: state.accountId, ip: ctx.ip });
      ctx.status = err.status;
      ctx.body = { error: err.key, error_description: s.views.strings.t('en', err.key) };
    }
  });

  // A server-made PKCS#12, once (activation without WebCrypto, renewal likewise).
  router.get('/certificate/download/:ticket', async (ctx) => {
    const found = await redeemTicket(s, ctx.params.ticket ?? '');
    if (!found) return ctx.throw(404, 'error.not_found');
    ctx.type = 'application/x-pkcs12';
    ctx.set('cache-control', 'no-store');
    ctx.set('content-disposition', `attachment; filename="${found.name}.p12"`);
    ctx.body = found.p12;
  });
}
