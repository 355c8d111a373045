// Runs an interaction: picks the current step from the flow state, renders it, feeds it the posted
// form, and, when the chain and its required actions are done, hands the result to oidc-provider.
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/safe-equal.ts';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { Services } from '../services.ts';
import type { Account } from '../accounts/accounts.ts';
import { chooseLocale } from '../http/i18n.ts';
import { describeFormError } from '../http/form.ts';
import { dropFlow, loadFlow, saveFlow } from './state.ts';
import type { FlowState, Page, RequiredActionRequest, Step, StepContext, StepResult } from './step.ts';
import { unmetLevelPage } from './unmet-level.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type Current =
  | { kind: 'step'; step: Step; args: Record<string, string> }
  | { kind: 'choose'; options: Step[] }
  | { kind: 'none'; reason: string }
  | { kind: 'done' };

const SLOT = /^<(.+)>$/;
// Prompt reasons after which the same user only has to prove more, not say again who they are.
const STEP_UP_REASONS = new Set(['acr_step_up', 'essential_acr', 'essential_acrs']);

export class FlowError extends Error {
  constructor(readonly status: number, readonly key: string) { super(key); }
}

export class Engine {
  constructor(private readonly provider: Provider, private readonly s: Services) {}

  async show(ctx: Koa.Context): Promise<void> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    let flow = await loadFlow(this.s.redis, details.uid);
    if (!flow || flow.prompt !== details.prompt.name) {
      const started = await this.start(ctx, details);
      if (!started) return;
      flow = started;
    }
    await this.renderCurrent(ctx, details, flow);
  }

  async submit(ctx: Koa.Context): Promise<void> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    const flow = await loadFlow(this.s.redis, details.uid);
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    this.checkCsrf(flow, body.csrf);
    const state = flow!;
    const sctx = await this.context(ctx, details, state);
    const cur = await this.current(sctx);

    if (cur.kind === 'choose') {
      const chosen = cur.options.find((o) => o.id === body.method);
      if (!chosen) return this.renderChoose(ctx, state, cur.options, 'form.choose_method', 400);
      state.data[`choice:${state.index}`] = chosen.id;
      await this.save(state, details);
      return this.redirectHere(ctx, details.uid);
    }
    if (cur.kind === 'done' && state.prompt === 'login') {
      // The "continue" of a notice shown at the end (e.g. a password about to expire).
      state.notice = undefined;
      return this.finishLogin(ctx, details, state);
    }
    if (cur.kind !== 'step') return this.renderCurrent(ctx, details, state);

    const { step } = cur;
    sctx.args = cur.args;
    const parsed = step.form.safeParse(body);
    if (!parsed.success) {
      const page = await step.render(sctx);
      const { key, params } = describeFormError(parsed.error);
      return this.renderPage(ctx, state, { ...page, error: key, errorParams: params, status: 400 });
    }
    let result = await step.action(sctx, parsed.data);
    let done = step;
    if (result.type === 'success' && step.identifies) {
      // A page that identifies may carry the next step's fields too (user and password on one
      // page): when they were filled in, that step is answered in this same request.
      await this.advance(sctx, step, result);
      const next = await this.current(await this.refresh(sctx));
      const answer = next.kind === 'step' && next.step.fieldsView ? next.step.form.safeParse(body) : undefined;
      if (next.kind !== 'step' || !answer?.success) {
        await this.save(state, details);
        return this.renderCurrent(ctx, details, state);
      }
      sctx.args = next.args;
      done = next.step;
      result = await next.step.action(sctx, answer.data);
      if (result.type === 'success') await this.advance(sctx, next.step, result);
    } else if (result.type === 'success') {
      await this.advance(sctx, step, result);
    }
    if (result.type !== 'success') {
      await this.save(state, details);
      return this.renderPage(ctx, state, { ...result.page, status: result.page.status ?? (result.type === 'failure' ? 401 : 400) });
    }
    if (done.kind === 'consent') return this.finish(ctx, details, state, { consent: { grantId: result.grantId } });

    const next = await this.current(await this.refresh(sctx));
    if (next.kind === 'done' && !state.notice) return this.finishLogin(ctx, details, state, sctx.account);
    await this.save(state, details);
    // The next page comes in this response (no redirect and second request: half the work).
    return this.renderCurrent(ctx, details, state);
  }

  /** Records a passed step in the flow state. */
  private async advance(sctx: StepContext, step: Step, result: Extract<StepResult, { type: 'success' }>): Promise<void> {
    const state = sctx.flow;
    if (state.pending.length && state.pending[0]!.id === step.id) state.pending.shift();
    else {
      state.index += 1;
      for (const v of step.amr) if (!state.amr.includes(v)) state.amr.push(v);
    }
    // The same required action is never queued twice (e.g. two reasons to change the password).
    for (const a of result.requiredActions ?? []) if (!state.pending.some((p) => p.id === a.id)) state.pending.push(a);
    if (step.kind === 'login' && state.amr.length && !state.data.triggered && sctx.account) await this.trigger(sctx);
    if (result.notice) state.notice = { key: result.notice, params: result.noticeParams };
  }

  /** The context again after a step may have identified the user. */
  private async refresh(sctx: StepContext): Promise<StepContext> {
    const accountId = sctx.flow.identified?.accountId;
    if (accountId && sctx.account?.id !== accountId) sctx.account = await this.s.accounts.findById(accountId);
    return sctx;
  }

  async abort(ctx: Koa.Context): Promise<void> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    const flow = await loadFlow(this.s.redis, details.uid);
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
    this.checkCsrf(flow, body.csrf);
    await this.audit(ctx, details, flow!, { event: 'login.abort', outcome: 'info' });
    await this.finish(ctx, details, flow!, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  }

  private async start(ctx: Koa.Context, details: Details): Promise<FlowState | undefined> {
    const params = details.params as Record<string, unknown>;
    const locale = chooseLocale(params.ui_locales as string | undefined, ctx.get('accept-language'));
    const base = {
      prompt: details.prompt.name, index: 0, csrf: randomBytes(24).toString('base64url'), locale,
      amr: [], pending: [], data: {},
    };
    if (details.prompt.name === 'consent') {
      const consent = this.s.steps.ofKind('consent')[0];
      if (!consent) throw new FlowError(500, 'error.unexpected');
      const flow: FlowState = { ...base, acr: '', chain: [consent.id] };
      await this.save(flow, details);
      return flow;
    }
    if (details.prompt.name !== 'login') throw new FlowError(400, 'error.unsupported_prompt');

    const client = await this.provider.Client.find(String(params.client_id));
    const target = this.s.policy.target({
      acrValues: params.acr_values as string | undefined,
      essential: essentialAcrs(params.claims),
      clientDefaults: client?.defaultAcrValues,
    });
    if ('error' in target) {
      await this.s.audit.record({ event: 'login.acr', outcome: 'failure', reason: target.error, client: String(params.client_id), ip: ctx.ip, interaction: details.uid });
      await this.finish(ctx, details, undefined, { error: target.error, error_description: target.description });
      return undefined;
    }
    const flow: FlowState = { ...base, acr: target.acr, chain: this.s.policy.chain(target.acr) };
    const sessionSub = details.session?.accountId;
    if (sessionSub && details.prompt.reasons.length && details.prompt.reasons.every((r) => STEP_UP_REASONS.has(r))) {
      const account = await this.s.accounts.findBySub(sessionSub);
      if (account) flow.identified = { accountId: account.id, name: account.id, known: true };
    }
    await this.save(flow, details);
    return flow;
  }

  private async context(ctx: Koa.Context, details: Details, flow: FlowState): Promise<StepContext> {
    const clientId = String((details.params as Record<string, unknown>).client_id);
    const client = await this.provider.Client.find(clientId);
    const accountId = flow.identified?.accountId;
    const account = accountId ? await this.s.accounts.findById(accountId) : undefined;
    return {
      uid: details.uid, flow, services: this.s, provider: this.provider, details, clientId,
      client: (client?.metadata() ?? {}) as Record<string, unknown>, ip: ctx.ip, account, args: {},
      audit: (e) => this.audit(ctx, details, flow, e),
    };
  }

  private async current(sctx: StepContext): Promise<Current> {
    const { flow } = sctx;
    if (flow.pending.length) {
      const { id, args } = flow.pending[0]!;
      const step = this.s.steps.get(id);
      if (!step) throw new FlowError(500, 'error.unexpected');
      return { kind: 'step', step, args: args ?? {} };
    }
    while (flow.index < flow.chain.length) {
      const entry = flow.chain[flow.index]!;
      const slot = SLOT.exec(entry)?.[1];
      if (slot) {
        const chosen = flow.data[`choice:${flow.index}`];
        const options = await this.optionsFor(sctx, slot);
        const pick = options.find((o) => o.id === chosen) ?? (options.length === 1 ? options[0] : undefined);
        if (pick) return { kind: 'step', step: pick, args: {} };
        if (!options.length) return { kind: 'none', reason: slot };
        return { kind: 'choose', options };
      }
      const step = this.s.steps.get(entry);
      if (!step) throw new FlowError(500, 'error.unexpected');
      if (step.identifies && flow.identified) { flow.index += 1; continue; }
      return { kind: 'step', step, args: {} };
    }
    return { kind: 'done' };
  }

  /** Asks the required actions whether this user needs them (once per login). */
  private async trigger(sctx: StepContext): Promise<void> {
    sctx.flow.data.triggered = true;
    const due: RequiredActionRequest[] = [];
    for (const action of this.s.steps.ofKind('required-action')) {
      if (!action.trigger || sctx.flow.pending.some((p) => p.id === action.id)) continue;
      const args = await action.trigger(sctx, sctx.account!);
      if (args) due.push({ id: action.id, args });
    }
    sctx.flow.pending.unshift(...due);
  }

  /** Steps that can fill a slot for this user and this client. */
  private async optionsFor(sctx: StepContext, slot: string): Promise<Step[]> {
    const accepted = sctx.client.accepted_methods as string[] | undefined;
    const out: Step[] = [];
    for (const step of this.s.steps.ofSlot(slot)) {
      if (accepted && !accepted.includes(step.id)) continue;
      if (step.configuredFor && (!sctx.account || !(await step.configuredFor(sctx, sctx.account)))) continue;
      out.push(step);
    }
    return out;
  }

  private async renderCurrent(ctx: Koa.Context, details: Details, flow: FlowState): Promise<void> {
    const sctx = await this.context(ctx, details, flow);
    const cur = await this.current(sctx);
    if (cur.kind === 'done') {
      if (flow.prompt !== 'login') throw new FlowError(400, 'error.session_not_found');
      if (!flow.notice) return this.finishLogin(ctx, details, flow);
      // Something to tell before leaving: a page with a "continue" button that posts the form.
      return this.renderPage(ctx, flow, { view: 'views/notice', notice: flow.notice.key, noticeParams: flow.notice.params });
    }
    if (cur.kind === 'choose') return this.renderChoose(ctx, flow, cur.options);
    if (cur.kind === 'none') {
      await this.audit(ctx, details, flow, { event: 'login.method', outcome: 'failure', reason: `no ${cur.reason} configured`, subject: flow.identified?.accountId });
      return this.renderPage(ctx, flow, await unmetLevelPage(sctx, cur.reason));
    }
    sctx.args = cur.args;
    const rendered = await cur.step.render(sctx);
    const nextFields = cur.step.identifies ? this.s.steps.get(flow.chain[flow.index + 1] ?? '')?.fieldsView : undefined;
    const page = nextFields ? { ...rendered, data: { ...rendered.data, nextFields } } : rendered;
    const notice = flow.notice;
    if (notice && !page.notice) {
      // Shown once, on the next page.
      flow.notice = undefined;
      await this.save(flow, details);
      return this.renderPage(ctx, flow, { ...page, notice: notice.key, noticeParams: notice.params });
    }
    return this.renderPage(ctx, flow, page);
  }

  private renderChoose(ctx: Koa.Context, flow: FlowState, options: Step[], error?: string, status = 200): void {
    this.renderPage(ctx, flow, { view: 'views/choose-method', data: { options: options.map((o) => o.id) }, error, status });
  }

  private renderPage(ctx: Koa.Context, flow: FlowState, page: Page): void {
    const { strings } = this.s.views;
    ctx.status = page.status ?? 200;
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = this.s.views.render(page.view, flow.locale, {
      ...page.data,
      csrf: flow.csrf,
      action: ctx.path.replace(/\/abort$/, ''),
      error: page.error ? strings.t(flow.locale, page.error, page.errorParams) : undefined,
      notice: page.notice ? strings.t(flow.locale, page.notice, page.noticeParams) : undefined,
    });
  }

  private async finishLogin(ctx: Koa.Context, details: Details, flow: FlowState, known?: Account): Promise<void> {
    const accountId = flow.identified?.accountId;
    const account = known?.id === accountId ? known : accountId ? await this.s.accounts.findById(accountId) : undefined;
    if (!account || account.disabled) throw new FlowError(500, 'error.unexpected');
    // Sent together (one round trip with auto-pipelining).
    await Promise.all([
      this.audit(ctx, details, flow, { event: 'login', outcome: 'success', subject: account.id, reason: flow.acr }),
      this.finish(ctx, details, flow, { login: { accountId: account.sub, acr: flow.acr, amr: flow.amr, remember: false } }),
    ]);
  }

  private async finish(ctx: Koa.Context, details: Details, flow: FlowState | undefined, result: InteractionResults): Promise<void> {
    // What provider.interactionResult does, on the interaction this request already loaded and
    // checked against its cookie (interactionDetails), instead of loading it a second time.
    details.result = result;
    await Promise.all([
      details.save(details.exp - Math.floor(Date.now() / 1000)),
      flow ? dropFlow(this.s.redis, details.uid) : undefined,
    ]);
    const redirectTo = details.returnTo;
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  private redirectHere(ctx: Koa.Context, uid: string): void {
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}`);
  }

  private async save(flow: FlowState, details: Details): Promise<void> {
    const ttl = Math.ceil(details.exp - Date.now() / 1000);
    await saveFlow(this.s.redis, details.uid, flow, ttl);
  }

  private checkCsrf(flow: FlowState | undefined, token: unknown): asserts flow is FlowState {
    if (!flow || typeof token !== 'string' || !safeEqual(token, flow.csrf)) throw new FlowError(403, 'error.csrf');
  }

  private async audit(ctx: Koa.Context, details: Details, flow: FlowState, e: Parameters<StepContext['audit']>[0]): Promise<void> {
    await this.s.audit.record({
      subject: flow.identified?.accountId ?? flow.identified?.name,
      ...e,
      client: String((details.params as Record<string, unknown>).client_id),
      ip: ctx.ip,
      interaction: details.uid,
    });
  }
}

/** claims.id_token.acr when essential: its value or values. */
export function essentialAcrs(claims: unknown): string[] | undefined {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try { parsed = JSON.parse(claims); } catch { return undefined; }
  }
  const acr = (parsed as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } } | undefined)?.id_token?.acr;
  if (!acr?.essential) return undefined;
  if (typeof acr.value === 'string') return [acr.value];
  if (Array.isArray(acr.values)) return acr.values.filter((v): v is string => typeof v === 'string');
  return undefined;
}
