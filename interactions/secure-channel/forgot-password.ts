// "Forgot your password?" for members: fiscal code and member code, a one-time code on the
// registered secure channel, then a new personal password. This is also how a member unlocks a
// locked password. The pages say the same whether or not the data matched.
import { citizenId } from '../../src/accounts/accounts.ts';
import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Services } from '../../src/services.ts';
import { checkPasswordPolicy } from '../../src/accounts/password-policy.ts';
import { describeFormError } from '../../src/http/form.ts';
import { browserId } from '../../src/http/csrf.ts';
import { normaliseOtp, OTP_FORM_FORMAT, sendEvent } from '../../src/otp/otp-feedback.ts';
import { keys } from '../../src/store/keys.ts';
import { takeAttempt } from '../../src/http/rate-limit.ts';
import { atFloor } from '../../src/http/timing-floor.ts';
import { rememberReturn, signInLink } from '../../src/http/return-link.ts';
import { memberByCodes } from './channel-reset.ts';
import { pageLocale, renderPage, type PageData } from './pages.ts';
import { formatters } from '../../src/http/format.ts';

const TTL_SECONDS = 900;

// name: the account typed (matched or not), for the abuse limits. sentAt: when a code was (said to
// be) sent, whether or not the data matched, so that the wait before "send a new code" is the same for
// everyone.
interface FlowState { stage: 'code' | 'password'; accountId?: string; name?: string; sentAt?: number }

const identifyForm = z.object({
  fiscal_code: z.string({ error: 'identify.fiscal_code_invalid' }).max(32, { error: 'form.too_long' }),
  member_code: z.string({ error: 'reset.member_code_invalid' }).max(32, { error: 'form.too_long' }),
});
const codeForm = z.object({
  otp: z.string({ error: 'form.invalid' }).max(32, { error: 'form.too_long' }).optional(),
  resend: z.literal('1', { error: 'form.invalid' }).optional(),
});
const passwordForm = z.object({
  new_password: z.string({ error: 'change_password.required' }).min(1, { error: 'change_password.required' }).max(256, { error: 'form.too_long' }),
  new_password_confirm: z.string({ error: 'form.invalid' }).max(256, { error: 'form.too_long' }),
});

async function load(s: Services, id: string): Promise<FlowState | undefined> {
  const raw = await s.redis.get(keys.publicFlow(id));
  return raw ? (JSON.parse(raw) as FlowState) : undefined;
}

async function save(s: Services, id: string, state: FlowState): Promise<void> {
  await s.redis.set(keys.publicFlow(id), JSON.stringify(state), 'EX', TTL_SECONDS);
}

function show(ctx: Koa.Context, s: Services, stage: 'identify' | FlowState['stage'], data: PageData = {}, status = 200) {
  const policy = s.config.passwords.personal;
  renderPage(ctx, s, `interactions/secure-channel/forgot-${stage}`, { policy, ...data }, status);
}

/** Seconds before a new code may be asked for. */
function waitOf(s: Services, state: FlowState | undefined): number {
  if (!state?.sentAt) return 0;
  return Math.max(0, Math.ceil((state.sentAt + s.config.otp.validitySeconds * 1000 - s.clock.now()) / 1000));
}

async function sendCode(s: Services, ctx: Koa.Context, id: string, state: FlowState): Promise<void> {
  if (!state.accountId) return;
  const channel = await s.secureChannels.get(state.accountId);
  if (!channel) return;
  const issued = await s.otp.issue(state.accountId, 'reset', channel, pageLocale(ctx), id);
  await s.audit.record({ ...sendEvent(issued, channel.channel, 'password reset'), subject: state.accountId, ip: ctx.ip });
}

export function forgotPasswordRoutes(router: Router, s: Services, form: Koa.Middleware[]): void {
  router.get('/forgot-password', async (ctx) => {
    rememberReturn(ctx, s.config.ttl.interactionSeconds);
    const id = browserId(ctx, true)!;
    const state = await load(s, id);
    show(ctx, s, state?.stage ?? 'identify', state?.stage === 'code' ? { notice: 'forgot.code_sent_if', wait: waitOf(s, state) } : {});
  });

  router.post('/forgot-password', ...form, async (ctx) => {
    const body = ctx.request.body ?? {};
    // The form token matched this browser's id (formPost): it names the flow.
    const id = browserId(ctx, false)!;
    const state = await load(s, id);
    if (body.restart === '1') {
      await s.redis.del(keys.publicFlow(id));
      return show(ctx, s, 'identify');
    }

    if (!state) {
      const parsed = identifyForm.safeParse(body);
      if (!parsed.success) {
        const { key, params } = describeFormError(parsed.error);
        return show(ctx, s, 'identify', { error: key, errorParams: params }, 400);
      }
      const fiscal = parsed.data.fiscal_code.replace(/\s+/g, '').toUpperCase();
      const member = parsed.data.member_code.trim().toUpperCase();
      // Every try counts (a match must not show, not even in when the limit comes), toward the
      // short windows only: counted matched or not, it must not fill the citizen's 30-day login count
      // (anyone who knows a fiscal code could lock its owner out for a month).
      await takeAttempt(ctx, s.limits, { ip: ctx.ip, account: citizenId(fiscal) });
      // The same time whether it matched or not; sending the code may go on after the answer.
      await atFloor(s.config.publicPageFloorMs, s.log, async () => {
        const found = await memberByCodes(s, fiscal, member);
        const channel = found.account ? await s.secureChannels.get(found.account.id) : undefined;
        const next: FlowState = { stage: 'code', accountId: channel ? found.account!.id : undefined, name: citizenId(fiscal), sentAt: s.clock.now() };
        await s.audit.record({ event: 'password.reset.start', outcome: channel ? 'success' : 'failure', reason: found.reason ?? (channel ? undefined : 'no secure channel'), subject: citizenId(fiscal), ip: ctx.ip });
        await save(s, id, next);
        await sendCode(s, ctx, id, next);
      });
      return show(ctx, s, 'code', { notice: 'forgot.code_sent_if', wait: waitOf(s, { stage: 'code', sentAt: s.clock.now() }) });
    }

    if (state.stage === 'code') {
      const parsed = codeForm.safeParse(body);
      const wait = waitOf(s, state);
      if (!parsed.success) return show(ctx, s, 'code', { error: 'form.invalid', errorParams: { field: 'otp' }, wait }, 400);
      if (parsed.data.resend) {
        if (wait > 0) return show(ctx, s, 'code', { notice: 'forgot.wait', noticeParams: { time: formatters(pageLocale(ctx)).duration(wait) }, wait }, 429);
        const again = { ...state, sentAt: s.clock.now() };
        await save(s, id, again);
        await sendCode(s, ctx, id, again);
        return show(ctx, s, 'code', { notice: 'forgot.resent_if', wait: waitOf(s, again) });
      }
      const code = normaliseOtp(parsed.data.otp);
      if (!OTP_FORM_FORMAT.test(code)) return show(ctx, s, 'code', { error: 'otp.format', wait }, 400);
      // Wrong entries count toward the lockout, but a locked password does not stop the reset; they
      // also count toward the account's abuse limits, which do stop it (a locked account included).
      const attempt = await takeAttempt(ctx, s.limits, { ip: ctx.ip, account: state.name ?? state.accountId ?? `reset:${id}`, slow: true });
      const result = state.accountId ? await s.otp.check(state.accountId, 'reset', code, 'personal', false) : undefined;
      if (result?.ok) await attempt.release();
      if (!result?.ok) {
        await s.audit.record({ event: 'password.reset.otp', outcome: 'failure', reason: result ? result.reason : 'no account', subject: state.accountId, ip: ctx.ip });
        return show(ctx, s, 'code', { error: 'forgot.wrong_code', wait }, 401);
      }
      await save(s, id, { stage: 'password', accountId: state.accountId, name: state.name });
      return show(ctx, s, 'password');
    }

    const parsed = passwordForm.safeParse(body);
    if (!parsed.success) {
      const { key, params } = describeFormError(parsed.error);
      return show(ctx, s, 'password', { error: key, errorParams: params }, 400);
    }
    const { new_password, new_password_confirm } = parsed.data;
    const policy = s.config.passwords.personal;
    if (new_password !== new_password_confirm) return show(ctx, s, 'password', { error: 'change_password.mismatch' }, 400);
    const violation = checkPasswordPolicy(new_password, policy);
    if (violation) return show(ctx, s, 'password', { error: violation, errorParams: { min: policy.minLength, max: policy.maxLength } }, 400);
    await s.passwords.set(state.accountId!, 'personal', new_password, { mustChange: false });
    await s.redis.del(keys.publicFlow(id));
    await s.audit.record({ event: 'password.reset', outcome: 'success', reason: 'personal', subject: state.accountId, ip: ctx.ip });
    renderPage(ctx, s, 'views/message', { title: 'forgot.done.title', notice: 'forgot.done', links: [await signInLink(ctx, s.redis)] });
  });
}
