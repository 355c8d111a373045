// The login interaction over HTTP. Each entry point is a short list of stages (as oidc-provider
// composes its authorization endpoint): load the interaction and our flow state, check the form
// token, build the step context, let a stage decide (start, present, answer, callback), then apply
// its outcome to the response. The deciding stages never touch Koa.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { AuditEvent } from '../audit.ts';
import { FlowError } from '../errors.ts';
import { chooseLocale } from '../http/i18n.ts';
import { render } from '../http/render.ts';
import { requestView } from '../http/request-view.ts';
import type { Services } from '../services.ts';
import { clientMetadata } from '../client-metadata.ts';
import { keys } from '../store/keys.ts';
import { answer, callback } from './answer.ts';
import { baseContext, type BaseContext, type Details } from './context.ts';
import type { Outcome } from './outcome.ts';
import { present } from './present.ts';
import { startFlow } from './start.ts';
import { dropFlow, flowText, loadFlow, saveFlow } from './state.ts';
import type { FlowState, Page } from './step.ts';

/** An interaction and its flow state, as loaded for one request. */
interface Loaded {
  details: Details;
  flow: FlowState;
  /** The state as read, to write it back only when a stage changed it. */
  before: string;
  /** The audit events of this request, recorded together (one XADD) with its outcome's writes. */
  audit: AuditEvent[];
  /** The client, when this request has looked it up already (a new flow does). */
  client?: Client;
}

type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export class Engine {
  constructor(private readonly provider: Provider, private readonly s: Services) {}

  /** GET /interaction/:uid */
  async show(ctx: Koa.Context): Promise<void> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    const loaded = await this.load(details);
    if (loaded && loaded.flow.prompt === details.prompt.name) return this.run(ctx, loaded, (sctx) => present(sctx, this.s.steps));
    const params = details.params as Record<string, unknown>;
    const locale = chooseLocale(params.ui_locales as string | undefined, ctx.get('accept-language'));
    const client = await this.provider.Client.find(String(params.client_id));
    const started = await startFlow(this.s, this.provider, details, locale, ctx.ip, client);
    if ('type' in started) return this.apply(ctx, { details, flow: undefined, before: '', audit: [] }, started);
    return this.run(ctx, { details, flow: started, before: '', audit: [], client }, (sctx) => present(sctx, this.s.steps));
  }

  /** POST /interaction/:uid */
  async submit(ctx: Koa.Context): Promise<void> {
    const loaded = await this.loadChecked(ctx);
    const body = ctx.request.body ?? {};
    const json = ctx.is('application/json') === 'application/json';
    return this.run(ctx, loaded, (sctx) => answer(sctx, this.s.steps, body, json));
  }

  /** GET /interaction/:uid/callback/:step: back from an upstream provider (the step checks its state). */
  async callback(ctx: Koa.Context, stepId: string): Promise<void> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    const loaded = await this.load(details);
    if (!loaded) throw new FlowError(400, 'error.session_not_found');
    const query = Object.fromEntries(Object.entries(ctx.query).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return this.run(ctx, loaded, (sctx) => callback(sctx, this.s.steps, stepId, query));
  }

  /** POST /interaction/:uid/abort */
  async abort(ctx: Koa.Context): Promise<void> {
    const loaded = await this.loadChecked(ctx);
    return this.run(ctx, loaded, async (sctx) => {
      await sctx.audit({ event: 'login.abort', outcome: 'info' });
      return { type: 'finish', result: { error: 'access_denied', error_description: 'End-User aborted interaction' } };
    }, { idleCheck: false }); // going back to the service stays possible
  }

  /** The flow state of this interaction: the one the login limiter read in this request, else from Redis. */
  private async load(details: Details, ctx?: Koa.Context): Promise<Loaded | undefined> {
    const read = ctx?.state.flowRead as { uid: string; flow: FlowState | undefined } | undefined;
    const flow = read?.uid === details.uid ? read.flow : await loadFlow(this.s.redis, details.uid);
    return flow && { details, flow, before: flowText(flow), audit: [] };
  }

  /** For a posted form or a page script (its form token checked by formPost): the interaction and its flow. */
  private async loadChecked(ctx: Koa.Context): Promise<Loaded> {
    const details = await this.provider.interactionDetails(ctx.req, ctx.res);
    const loaded = await this.load(details, ctx);
    if (!loaded) throw new FlowError(403, 'error.csrf');
    return loaded;
  }

  /** Builds the step context, lets the stage decide, applies its outcome; the stage's audit events are
   * recorded with the outcome's writes, or, when the stage fails, before the error goes on. */
  private async run(ctx: Koa.Context, loaded: Loaded, stage: (sctx: BaseContext) => Promise<Outcome>, opts: { idleCheck?: boolean } = {}): Promise<void> {
    if (opts.idleCheck !== false) await this.idleCheck(loaded);
    let outcome: Outcome;
    try {
      outcome = await stage(await this.context(ctx, loaded));
    } catch (err) {
      await this.s.audit.recordAll(loaded.audit.splice(0));
      throw err;
    }
    return this.apply(ctx, loaded, outcome);
  }

  /**
   * The idle limit (INTERACTION_IDLE_TTL; PSD2 RTS Art. 4(3)(d) under the psd2 profile): a login left
   * longer than that without a request is abandoned for good (the interaction and its flow state
   * dropped, audited), and the user gets the "start again" page. Otherwise this request's time is kept.
   */
  private async idleCheck(loaded: Loaded): Promise<void> {
    const idle = this.s.config.ttl.idleSeconds;
    if (!idle) return;
    const now = this.s.clock.now();
    const seen = loaded.flow.seenAt;
    if (seen !== undefined && now - seen > idle * 1000) {
      const minutes = Math.round((now - seen) / 60_000);
      // The interaction ends too, so that this authorization request cannot start over.
      await Promise.all([
        loaded.details.destroy(),
        dropFlow(this.s.redis, loaded.details.uid),
        this.s.audit.record({
          event: 'login.idle', outcome: 'failure', reason: `abandoned after ${minutes} min without activity (limit ${idle} s)`,
          subject: loaded.flow.identified?.accountId, client: String((loaded.details.params as Record<string, unknown>).client_id), interaction: loaded.details.uid,
        }),
      ]);
      throw new FlowError(400, 'error.session_idle');
    }
    loaded.flow.seenAt = now;
  }

  private async context(ctx: Koa.Context, { details, flow, audit, client: known }: Loaded): Promise<BaseContext> {
    const clientId = String((details.params as Record<string, unknown>).client_id);
    const accountId = flow.identified?.accountId;
    const [client, account] = await Promise.all([
      known ?? this.provider.Client.find(clientId),
      accountId ? this.s.accounts.findById(accountId) : undefined,
    ]);
    return baseContext({
      services: this.s, provider: this.provider, details, flow, account, auditQueue: audit,
      client: client ? clientMetadata(client) : {},
      request: requestView(ctx, this.s.config.trustProxy > 0),
    });
  }

  /** Writes a stage's outcome to the response (and the flow state, when it changed). */
  private async apply(ctx: Koa.Context, loaded: Omit<Loaded, 'flow'> & { flow?: FlowState }, outcome: Outcome): Promise<void> {
    const { details, flow } = loaded;
    if (outcome.type === 'finish') {
      // What provider.interactionResult does, on the interaction this request already loaded and
      // checked against its cookie (interactionDetails), instead of loading it a second time.
      details.result = outcome.result;
      await Promise.all([
        details.save(details.exp - Math.floor(Date.now() / 1000)),
        loaded.before ? dropFlow(this.s.redis, details.uid) : undefined,
        this.s.audit.recordAll(loaded.audit.splice(0)),
      ]);
      ctx.status = 303;
      return ctx.redirect(details.returnTo);
    }
    if (!flow) {
      await this.s.audit.recordAll(loaded.audit.splice(0));
      throw new FlowError(500, 'error.unexpected');
    }
    const ttl = Math.max(Math.ceil(details.exp - Date.now() / 1000), 1);
    const json = JSON.stringify(flow);
    await Promise.all([
      this.s.audit.recordAll(loaded.audit.splice(0)),
      json !== loaded.before ? saveFlow(this.s.redis, details.uid, flow, ttl, json) : undefined,
      outcome.type === 'redirect' && outcome.bind ? this.s.redis.set(keys.callbackBind(outcome.step, outcome.bind), details.uid, 'EX', ttl) : undefined,
    ]);
    switch (outcome.type) {
      case 'page':
        return this.renderPage(ctx, flow, outcome.page);
      case 'again':
        ctx.status = 303;
        return ctx.redirect(`/interaction/${details.uid}`);
      case 'redirect':
        ctx.status = 303;
        return ctx.redirect(outcome.url);
      case 'json':
        ctx.status = outcome.status;
        ctx.set('cache-control', 'no-store');
        ctx.body = outcome.body;
        return;
    }
  }

  private renderPage(ctx: Koa.Context, flow: FlowState, page: Page): void {
    render(ctx, this.s, page.view, { ...page.data, action: ctx.path.replace(/\/(abort|callback\/[^/]+)$/, '') }, {
      locale: flow.locale, status: page.status ?? 200,
      error: page.error, errorParams: page.errorParams, notice: page.notice, noticeParams: page.noticeParams,
    });
  }
}

/** GET /callback/:step: an upstream provider's way back, with no interaction in its URL. The state it
 * brings finds the interaction; the browser then goes to that interaction's callback (its cookie). */
export async function callbackEntry(ctx: Koa.Context, s: Services): Promise<void> {
  const step = ctx.params.step ?? '';
  const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  const known = /^[\w-]{1,64}$/.test(step);
  const uid = state && state.length <= 256 && known ? await s.redis.get(keys.callbackBind(step, state)) : null;
  if (!uid) {
    await s.audit.record({ event: 'login.callback', outcome: 'failure', reason: state ? 'state unknown or expired' : 'no state', subject: known ? step : undefined, ip: ctx.ip });
    throw new FlowError(400, 'error.session_not_found');
  }
  ctx.status = 303;
  ctx.redirect(`/interaction/${encodeURIComponent(uid)}/callback/${step}${ctx.querystring ? `?${ctx.querystring}` : ''}`);
}
