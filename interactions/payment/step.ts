// The payment confirmation (step `payment`, answering the prompt of the same name): run whenever the
// authorization request carries authorization_details. It shows exactly what will be authorised and
// asks for the password of a dispositive operation (company operators: the dispositive password;
// others: their login password) plus a one-time code sent on the registered secure channel, bound
// to these details and this interaction (dynamic linking, see codes.ts). Every refusal reads the
// same ("the password or the code is not right"): the user is not told which element was wrong.
import { z } from 'zod';
import { defineStep, type Page, type StepContext } from '../../src/flow/step.ts';
import { loginPasswordKind, type Account, type PasswordKind } from '../../src/accounts/accounts.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { formatters } from '../../src/http/format.ts';
import type { Services } from '../../src/services.ts';
import { binding, detailsDigest, PaymentCodes } from './codes.ts';
import type { Detail } from './details.ts';
import type { PaymentOutcome } from './oidc.ts';
import { paymentSettings } from './settings.ts';
import { summarise, type Summary } from './summary.ts';

const field = z.string({ error: 'form.invalid' }).max(256, { error: 'form.too_long' }).optional();
const form = z.object({
  password: field,
  dispositive_password: field,
  otp: z.string({ error: 'form.invalid' }).max(32, { error: 'form.too_long' }).optional(),
  resend: z.literal('1', { error: 'form.invalid' }).optional(),
});

/** The second factor a confirmation uses, by its step id (a client's accepted_methods names it). */
const CODE_METHOD = 'otp';

/** Grants keep the details they authorised, the last few (a grant lives as long as the session). */
const GRANT_KEEPS = 20;

/** Company operators sign payments with the dispositive password; others with their own. */
export function signingKind(account: Account): PasswordKind {
  return account.type === 'operator' ? 'dispositive' : loginPasswordKind(account.type);
}

function codes(s: Services): PaymentCodes {
  return new PaymentCodes(s, paymentSettings.of(s.config).codeValiditySeconds);
}

type Ctx = StepContext<unknown>;

interface Loaded { account: Account; raw: string; details: Detail[]; summary: Summary; bind: string }

export const paymentStep = defineStep({
  id: 'payment',
  kind: 'prompt',
  prompt: 'payment',
  amr: [],
  requiresUser: false,
  form,
  async render(ctx) {
    const loaded = await load(ctx);
    if (!loaded) return { view: 'interactions/payment/unavailable', status: 400, error: 'error.unexpected' };
    return show(ctx, loaded, {}, true);
  },
  async action(ctx, f) {
    const loaded = await load(ctx);
    if (!loaded) return { type: 'challenge', page: { view: 'interactions/payment/unavailable', status: 400, error: 'error.unexpected' } };
    const { account, summary, bind } = loaded;
    const s = ctx.services;
    const channel = await s.secureChannels.get(account.id);
    const accepted = ctx.client.accepted_methods as string[] | undefined;
    if (!channel || (accepted && !accepted.includes(CODE_METHOD))) return { type: 'challenge', page: await show(ctx, loaded, {}) };
    if (f.resend) return { type: 'challenge', page: await show(ctx, loaded, { status: 200 }, true) };
    const kind = signingKind(account);
    const secret = (kind === 'dispositive' ? f.dispositive_password : f.password) ?? '';
    const code = (f.otp ?? '').replace(/\s+/g, '');
    if (!secret || !/^\d{6}$/.test(code)) return { type: 'challenge', page: await show(ctx, loaded, { error: 'payment.missing' }) };
    const max = s.config.passwords[kind].maxFailures;
    const refuse = async (reason: string, failures: number, lockedNow: boolean): Promise<{ type: 'failure'; page: Page }> => {
      await ctx.audit({ event: 'payment.confirm', outcome: 'failure', subject: account.id, reason });
      if (lockedNow) await ctx.audit({ event: 'credential.locked', outcome: 'info', subject: account.id, reason: kind });
      // PSD2 Art. 4: the user is warned on the attempt before the block.
      const last = failures === max - 1;
      return { type: 'failure', page: await show(ctx, loaded, { error: last ? 'payment.last_attempt' : 'payment.rejected', status: 401 }) };
    };
    // The password's failures are reset only by the right code (otpCheck): wrong codes after a right
    // password keep counting toward the lockout (PSD2: 5 consecutive failures, whichever element).
    const verified = await s.passwords.verify(account.id, kind, secret, { keepFailures: true });
    if (!verified.ok) return refuse(`password ${verified.reason}`, verified.failures, verified.reason === 'locked_now');
    if (verified.changeRequired) {
      await ctx.audit({ event: 'payment.confirm', outcome: 'failure', subject: account.id, reason: `password ${verified.changeRequired}` });
      const page = await show(ctx, loaded, { error: 'payment.password_change', status: 403 });
      return { type: 'challenge', page: { ...page, data: { ...page.data, changeLink: true } } };
    }
    const checked = await codes(s).check(account.id, bind, code, kind);
    if (!checked.ok) return refuse(`code ${checked.reason}`, checked.failures, checked.lockedNow);
    await keepInGrant(ctx, loaded.details);
    await ctx.audit({
      event: 'payment.confirm', outcome: 'success', subject: account.id,
      reason: `${summary.audit}; factors: ${kind} password, code by ${channel.channel}`,
    });
    const outcome: PaymentOutcome = { digest: detailsDigest(loaded.raw) };
    return { type: 'success', outcome: { ...outcome } };
  },
});

async function load(ctx: Ctx): Promise<Loaded | undefined> {
  const sub = ctx.details.session?.accountId;
  const raw = (ctx.details.params as Record<string, unknown>).authorization_details;
  if (!sub || typeof raw !== 'string') return undefined;
  const account = ctx.account?.sub === sub ? ctx.account : await ctx.services.accounts.findBySub(sub);
  if (!account || account.disabled) return undefined;
  // The interaction's user: the abuse limits count this page's failures per account too.
  ctx.flow.identified ??= { accountId: account.id, name: account.id, known: true };
  const details = JSON.parse(raw) as Detail | Detail[]; // validated by oidc-provider (oidc.ts)
  const list = Array.isArray(details) ? details : [details];
  const summary = summarise(list, ctx.flow.locale, (n) => ctx.services.views.strings.t(ctx.flow.locale, 'payment.count', { count: n }));
  return { account, raw, details: list, summary, bind: binding(detailsDigest(raw), ctx.uid) };
}

/** The page; `send`: a code is sent unless one for these details and this interaction is in force. */
async function show(ctx: Ctx, l: Loaded, over: Partial<Page>, send = false): Promise<Page> {
  const s = ctx.services;
  const channel = await s.secureChannels.get(l.account.id);
  const client = (ctx.client.client_name as string | undefined) ?? ctx.clientId;
  const data = { summary: l.summary, client, kind: signingKind(l.account), member: l.account.type === 'citizen' };
  if (!channel) return { view: 'interactions/payment/no-channel', data, status: 403 };
  // A client's accepted_methods applies here too: the code on the secure channel is the step `otp`.
  const accepted = ctx.client.accepted_methods as string[] | undefined;
  if (accepted && !accepted.includes(CODE_METHOD)) return { view: 'interactions/payment/no-channel', data: { ...data, notAccepted: true }, status: 403 };
  const page: Page = { view: 'interactions/payment/page', data: { ...data, to: maskContact(channel.channel, channel.to), channel: channel.channel }, ...over };
  if (send) {
    const issued = await codes(s).issue(l.account.id, l.bind, channel, ctx.flow.locale, l.summary.message);
    if (issued.status === 'failed') {
      await ctx.audit({ event: 'otp.send', outcome: 'failure', subject: l.account.id, reason: issued.error });
      return { ...page, error: 'otp.delivery_failed', status: 503 };
    }
    const wait = Math.max(Math.ceil((issued.expiresAt - s.clock.now()) / 1000), 1);
    if (issued.status === 'sent') await ctx.audit({ event: 'otp.send', outcome: 'success', subject: l.account.id, reason: `sent ${channel.channel} (payment)` });
    page.data = { ...page.data, wait };
    if (!page.error) {
      page.notice = issued.status === 'sent' ? 'otp.sent' : 'otp.valid_for';
      page.noticeParams = { to: maskContact(channel.channel, channel.to), time: formatters(ctx.flow.locale).duration(wait) };
    }
  }
  return page;
}

/** The grant keeps what was authorised (the last GRANT_KEEPS details). */
async function keepInGrant(ctx: Ctx, details: Detail[]): Promise<void> {
  const grantId = ctx.details.grantId;
  const grant = grantId ? await ctx.provider.Grant.find(grantId) : undefined;
  if (!grant) return;
  for (const d of details) grant.addRar(d as never);
  const g = grant as unknown as { rar?: unknown[] };
  if (g.rar && g.rar.length > GRANT_KEEPS) g.rar = g.rar.slice(-GRANT_KEEPS);
  await grant.save();
}
