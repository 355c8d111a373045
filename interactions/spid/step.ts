// "Enter with SPID": a login step that identifies the user through an upstream SPID identity
// provider. Offered beside the identify page (a post there with step=spid), and the whole chain of
// the SPID levels in the level table (a client asking https://www.spid.gov.it/SpidL2 gets the
// chooser straight away). It goes out with a redirect and comes back through its callback.
import { z } from 'zod';
import { citizenId } from '../../src/accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../../src/accounts/fiscal-code.ts';
import { defineStep, type Page, type StepContext, type StepResult } from '../../src/flow/step.ts';
import { authorizationRequest, FISCAL_NUMBER, redeem, SPID_CODE, type Pending } from './broker.ts';
import { spidKeys } from './keys.ts';
import { SPID_LEVELS, spidLevelFor, spidRank } from './levels.ts';
import { spidSettings, upstreams } from './settings.ts';
import { offeredOps, trustedOp } from './trust.ts';

const pendingSchema = z.object({
  idp: z.string(), state: z.string(), nonce: z.string(), verifier: z.string(), level: z.enum(SPID_LEVELS),
});
type State = z.infer<typeof pendingSchema>;
type Ctx = StepContext<State>;

const RFC8176 = new Set(['face', 'fpt', 'geo', 'hwk', 'iris', 'kba', 'mca', 'mfa', 'otp', 'pin', 'pwd', 'rba', 'retina', 'sc', 'sms', 'swk', 'tel', 'user', 'vbm', 'wia']);
// SPID error codes a provider may name in error_description (AgID's table), with a page of their own.
const KNOWN_ERRORS: Record<string, string> = { 19: 'spid.error.attempts', 20: 'spid.error.level', 22: 'spid.error.consent', 23: 'spid.error.suspended', 25: 'spid.error.cancelled', 30: 'spid.error.identity_type' };

/** What an openid-client error's causes say (the claim that failed, the innermost message). */
function detail(cause: unknown, depth = 0): string {
  if (!cause || typeof cause !== 'object' || depth > 4) return '';
  const c = cause as { claim?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const here = typeof c.claim === 'string' ? ` claim ${c.claim}` : typeof c.message === 'string' ? ` / ${c.message}${typeof c.code === 'string' ? ` ${c.code}` : ''}` : '';
  return here + detail(c.cause, depth + 1);
}

function level(ctx: Ctx) {
  return ctx.flow.prompt === 'login' ? spidLevelFor(ctx.services.policy, ctx.flow.acr) : undefined;
}

async function chooser(ctx: Ctx, error?: string): Promise<Page> {
  const ops = await offeredOps(ctx.services);
  return {
    view: 'interactions/spid/chooser',
    data: { providers: ops.map((o) => ({ id: o.upstream.id, name: o.upstream.name, initials: initials(o.upstream.name) })) },
    error: ops.length ? error : 'spid.none_available',
    status: error || !ops.length ? 400 : 200,
  };
}

function initials(name: string): string {
  return name.split(/\s+/).filter((w) => /^[A-Za-z0-9]/.test(w)).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('');
}

/** A refusal: a page that says what happened, a way to try again and a way back to the service. */
async function refused(ctx: Ctx, key: string, reason: string, status = 400): Promise<StepResult> {
  ctx.setState(undefined);
  await ctx.audit({ event: 'login.spid', outcome: 'failure', reason: reason.slice(0, 300) });
  return { type: 'failure', page: { view: 'interactions/spid/refused', error: key, status } };
}

export const spidStep = defineStep({
  id: 'spid',
  kind: 'login',
  amr: ['fed'],
  requiresUser: false,
  // Not `identifies`: a step-up to a SPID level of a user the session knows must still go to SPID
  // (an identifying step is skipped once the user is known); the callback names the user.
  state: pendingSchema,
  form: z.object({ step: z.literal('spid').optional(), idp: z.string().max(64).optional() }),
  enabled: (config) => upstreams(config as never).length > 0,
  async beside(ctx) {
    if (!level(ctx) || !upstreams(ctx.services.config).length) return undefined;
    if (!(await offeredOps(ctx.services)).length) return undefined;
    return { view: 'interactions/spid/beside' };
  },
  async render(ctx) {
    return chooser(ctx);
  },
  async action(ctx, form) {
    const asked = level(ctx);
    if (!asked) return { type: 'challenge', page: { ...(await chooser(ctx)), error: 'spid.none_available' } };
    if (!form.idp) return { type: 'challenge', page: await chooser(ctx) };
    const upstream = upstreams(ctx.services.config).find((u) => u.id === form.idp);
    const op = upstream && (await trustedOp(ctx.services, upstream));
    if (!op) return { type: 'challenge', page: await chooser(ctx, 'spid.choose') };
    let request;
    try {
      request = await authorizationRequest(ctx.services, op, asked, ctx.flow.locale);
    } catch (err) {
      return refused(ctx, 'spid.error.provider', `${op.upstream.entityId}: cannot build the request (${(err as Error).message})`);
    }
    const { url, pending } = request;
    ctx.setState(pending);
    await ctx.audit({ event: 'login.spid', outcome: 'info', reason: `to ${op.upstream.entityId} at ${asked}` });
    return { type: 'redirect', url, bind: pending.state };
  },
  async callback(ctx, query) {
    const pending = ctx.state as Pending | undefined;
    // Used once: whatever happens next, this state is spent.
    ctx.setState(undefined);
    if (!pending || typeof query.state !== 'string' || query.state !== pending.state) return refused(ctx, 'spid.error.stale', 'state unknown or already used');
    if (query.error) {
      const code = /ErrorCode nr(\d+)/i.exec(query.error_description ?? '')?.[1];
      const key = (code && KNOWN_ERRORS[code]) || (query.error === 'access_denied' ? 'spid.error.failed' : 'spid.error.provider');
      return refused(ctx, key, `upstream error ${query.error.slice(0, 40)}${code ? ` (SPID ${code})` : ''}`, 401);
    }
    const upstream = upstreams(ctx.services.config).find((u) => u.id === pending.idp);
    const op = upstream && (await trustedOp(ctx.services, upstream));
    if (!op) return refused(ctx, 'spid.error.untrusted', `provider ${pending.idp} no longer trusted`);
    let answer;
    try {
      answer = await redeem(ctx.services, op, pending, query);
    } catch (err) {
      const e = err as { code?: string; message?: string; cause?: unknown };
      const why = `${e.code ?? 'error'} ${e.message ?? ''}${detail(e.cause)}`;
      const unreachable = e.code === 'OAUTH_TIMEOUT' || /fetch failed|ECONNREFUSED|timeout|aborted/i.test(why);
      return refused(ctx, unreachable ? 'spid.error.unreachable' : 'spid.error.invalid', `${op.upstream.entityId}: ${why}`);
    }
    const { claims, userinfo } = answer;
    if (spidRank(claims.acr) < spidRank(pending.level)) {
      return refused(ctx, 'spid.error.level', `acr ${String(claims.acr).slice(0, 60)} below ${pending.level}`);
    }
    const raw = typeof userinfo[FISCAL_NUMBER] === 'string' ? (userinfo[FISCAL_NUMBER] as string) : '';
    if (!raw) return refused(ctx, 'spid.error.no_fiscal_number', 'userinfo without fiscal_number');
    const fiscalCode = normaliseFiscalCode(raw.replace(/^TINIT-/i, ''));
    if (!/^TINIT-/i.test(raw) || !isValidFiscalCode(fiscalCode)) return refused(ctx, 'spid.error.bad_fiscal_number', 'fiscal_number not a valid TINIT fiscal code');
    const s = ctx.services;
    const id = citizenId(fiscalCode);
    // A step-up keeps the session's user: SPID must say it is the same person.
    if (ctx.flow.identified?.accountId && ctx.flow.identified.accountId !== id) return refused(ctx, 'spid.error.other_person', `SPID identity ${id} is not the session's ${ctx.flow.identified.accountId}`, 403);
    const text = (v: unknown) => (typeof v === 'string' && v.length <= 200 ? v : undefined);
    let account = await s.accounts.findById(id);
    if (!account) {
      if (!spidSettings.of(s.config).jit) return refused(ctx, 'spid.error.unknown_citizen', `no citizen ${id}`, 403);
      ({ account } = await s.accounts.upsert({
        id, type: 'citizen', fiscalCode,
        givenName: text(userinfo.given_name), familyName: text(userinfo.family_name), email: text(userinfo.email), phone: text(userinfo.phone_number),
      }));
      await ctx.audit({ event: 'account.create', outcome: 'success', subject: id, reason: 'SPID just in time' });
    }
    if (account.disabled || account.type !== 'citizen') return refused(ctx, 'spid.error.unknown_citizen', account.disabled ? 'disabled' : 'not a citizen', 403);
    const attributes: Record<string, string> = { fiscal_number: `TINIT-${fiscalCode}`, provider: op.upstream.entityId, acr: String(claims.acr) };
    for (const [k, field] of [['given_name', 'given_name'], ['family_name', 'family_name'], ['email', 'email'], ['phone_number', 'phone_number'], [SPID_CODE, 'spid_code']] as const) {
      const v = text(userinfo[k]);
      if (v) attributes[field] = v;
    }
    await s.redis.multi().del(spidKeys.attributes(id)).hset(spidKeys.attributes(id), attributes).exec();
    ctx.flow.identified = { accountId: id, name: id, known: true };
    ctx.flow.loginName = { type: 'citizen', fiscalCode };
    await ctx.audit({ event: 'login.spid', outcome: 'success', subject: id, reason: `${op.upstream.entityId} at ${String(claims.acr)}` });
    const upstreamAmr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string' && RFC8176.has(v)) : [];
    const acr = s.policy.rank(String(claims.acr)) >= 0 ? String(claims.acr) : pending.level;
    return { type: 'success', amr: ['fed', ...new Set(upstreamAmr)], acr };
  },
});
