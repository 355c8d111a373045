// The certificate step of a login (urn:idp:loa:3: identify → certificate → password). Proxy mode: the
// certificate comes with the request, from the trusted nginx. Direct mode: the browser is sent to our
// own HTTPS listener, which asks for it and sends the browser back through the step's callback. The
// certificate must be ours (or a smart card's), valid, not revoked, and the account's; a refused one
// gets a page that says what to do next. From CERT_RENEW_OFFER_DAYS before expiry the renewal follows.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineStep, type StepContext, type StepResult } from '../../src/flow/step.ts';
import { certificatesOf, daysLeft } from './certificates.ts';
import { certKeys } from './keys.ts';
import { mtlsBaseUrl } from './listener.ts';
import { certificateSettings } from './settings.ts';
import { parsePem, presented, type Presented } from './source.ts';
import { amrOf, belongsTo, verifyCertificate, type Refusal } from './verify.ts';

const form = z.object({ retry: z.string().max(8, { error: 'form.too_long' }).optional() });
const state = z.object({ nonce: z.string().max(64) });
type Ctx = StepContext<z.infer<typeof state>>;

export const ACTIVATE_URL = '/certificate/activate';

/** What the user should do about each refusal (the page's message). */
function refused(reason: Refusal, extra: Record<string, string | number> = {}): StepResult {
  return {
    type: 'failure',
    page: {
      view: 'interactions/certificate/refused',
      data: { reason, activate: ACTIVATE_URL },
      error: `certificate.refused.${reason}`,
      errorParams: extra,
      status: reason === 'malformed' ? 400 : 401,
    },
  };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function judge(ctx: Ctx, p: Presented): Promise<StepResult> {
  if (p.status === 'untrusted') {
    await ctx.audit({ event: 'certificate.header_untrusted', outcome: 'failure', reason: `certificate header from ${p.peer}, not a trusted proxy: ignored` });
  }
  if (p.status === 'none' || p.status === 'untrusted') {
    await ctx.audit({ event: 'login.certificate', outcome: 'failure', reason: 'none' });
    return refused('none');
  }
  if (p.status === 'malformed') {
    await ctx.audit({ event: 'login.certificate', outcome: 'failure', reason: `malformed: ${p.why}` });
    return refused('malformed');
  }
  const v = await verifyCertificate(ctx.services, p.cert);
  const serial = p.cert.serialNumber;
  if (!v.ok) {
    await ctx.audit({ event: 'login.certificate', outcome: 'failure', reason: `${v.reason}, serial ${serial}` });
    if (v.reason === 'expired') return refused('expired', { date: day(Date.parse(p.cert.validTo)) });
    if (v.reason === 'not_yet_valid') return refused('not_yet_valid', { date: day(Date.parse(p.cert.validFrom)) });
    if (v.reason === 'revoked') return refused('revoked', { date: day(v.record?.revokedAt ?? 0) });
    return refused(v.reason);
  }
  const accountId = ctx.flow.identified?.name ?? '';
  if (!belongsTo(v, accountId, ctx.flow.loginName)) {
    await ctx.audit({ event: 'login.certificate', outcome: 'failure', reason: `wrong_account: serial ${serial} is ${v.kind === 'own' ? v.record.accountId : 'a smart card'}` });
    return refused('wrong_account');
  }
  await ctx.audit({ event: 'login.certificate', outcome: 'success', reason: `${v.kind === 'own' ? 'own' : 'smart card'}, serial ${serial}` });
  if (v.kind !== 'own') return { type: 'success', amr: amrOf(v) };

  // The first login with a renewed certificate retires the one it replaces (the record read says
  // whether this is one; the script decides it once across processes).
  const retired = v.record.usedAt === undefined ? await certificatesOf(ctx.services).used(v.record) : undefined;
  if (retired) await ctx.audit({ event: 'certificate.superseded', outcome: 'info', reason: `serial ${retired} revoked: ${serial} renews it and was used` });
  const settings = certificateSettings.of(ctx.services.config);
  const left = daysLeft(v.record, ctx.services.clock.now());
  if (!ctx.account || left > settings.renewOfferDays) return { type: 'success', amr: amrOf(v) };
  const mandatory = left <= settings.renewRequiredDays;
  return {
    type: 'success', amr: amrOf(v),
    requiredActions: [{ id: 'certificate-renewal', args: { serial: v.record.serial, days: String(left), mandatory: mandatory ? '1' : '0' } }],
  };
}

export const certificateStep = defineStep({
  id: 'certificate',
  kind: 'login',
  // A key the browser holds; a smart card's login says ["sc", "hwk"] instead.
  amr: ['swk'],
  requiresUser: true,
  // On the identify page of a certificate login: a word on what comes next and the activation link.
  fieldsView: 'interactions/certificate/fields',
  state,
  form,
  enabled: (config) => certificateSettings.of(config).mode !== 'off',

  async minimumAcr(s, name) {
    if (name.type !== 'company' || certificateSettings.of(s.config).mode === 'off') return undefined;
    if ((await s.redis.sismember(certKeys.requireCertificate, name.companyCode)) !== 1) return undefined;
    return s.config.levels.find((l) => l.steps.includes('certificate'))?.acr;
  },

  async render() {
    return { view: 'interactions/certificate/page', data: { activate: ACTIVATE_URL } };
  },

  async action(ctx) {
    const s = ctx.services;
    if (certificateSettings.of(s.config).mode !== 'direct') return judge(ctx, presented(s, ctx.request));
    // Direct mode: our HTTPS listener asks for the certificate and sends the browser back with `state`.
    const nonce = randomBytes(24).toString('base64url');
    ctx.setState({ nonce });
    return { type: 'redirect', url: `${mtlsBaseUrl(s)}/certificate/mtls?state=${nonce}`, bind: nonce };
  },

  async callback(ctx, query) {
    const nonce = ctx.state?.nonce;
    ctx.setState(undefined);
    if (!nonce || query.state !== nonce) {
      await ctx.audit({ event: 'login.certificate', outcome: 'failure', reason: 'callback without the state this login sent' });
      return refused('none');
    }
    const pem = await ctx.services.redis.getdel(certKeys.presented(nonce));
    return judge(ctx, pem ? parsePem(pem) : { status: 'none' });
  },
});
