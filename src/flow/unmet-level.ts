// No dead end when this user cannot reach the level a login asks for (e.g. an operator with no second
// factor at loa:2): a page says why and what to do, and its one button goes back to the service,
// which learns the outcome: error=unmet_authentication_requirements, or, when the level was only
// asked for (acr_values, not an essential claim) and the client has "accept_lower_acr": true, a login
// at the highest level the user did reach, named in the ID token's acr.
import { clientMetadata } from '../client-metadata.ts';
import type Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { Account } from '../accounts/accounts.ts';
import type { Services } from '../services.ts';
import { essentialAcrs } from './acr-request.ts';
import type { BaseContext } from './context.ts';
import { postedFlow } from './interaction-post.ts';
import { dropFlow } from './state.ts';
import { SLOT, type FlowState, type Page, type StepContext } from './step.ts';


/** Whether this account can pass every step of `acr` (with the second factors a client accepts). */
export async function canReach(s: Services, account: Account, acr: string, accepted?: string[]): Promise<boolean> {
  const level = s.config.levels.find((l) => l.acr === acr);
  if (!level || !s.policy.available(acr)) return false;
  // configuredFor reads the services and the account only.
  const sctx = { services: s, account } as unknown as StepContext;
  for (const entry of level.steps) {
    const slot = SLOT.exec(entry)?.[1];
    const candidates = slot ? s.steps.ofSlot(slot).filter((st) => (accepted ? accepted.includes(st.id) : !st.optIn)) : [s.steps.get(entry)].filter((st) => st !== undefined);
    let ok = false;
    for (const st of candidates) if (!st.configuredFor || (await st.configuredFor(sctx, account))) { ok = true; break; }
    if (!ok) return false;
  }
  return true;
}

/** The highest configured level whose steps this login has all passed. */
export function reachedLevel(s: Services, flow: FlowState): string | undefined {
  const passed = new Set(flow.chain.slice(0, flow.index));
  return [...s.config.levels].reverse().find((l) => l.acr !== flow.acr && l.steps.every((e) => passed.has(e)))?.acr;
}

function lowerAllowed(s: Services, flow: FlowState, params: Record<string, unknown>, client: Record<string, unknown>): string | undefined {
  if (essentialAcrs(params.claims)?.length || client.accept_lower_acr !== true) return undefined;
  return reachedLevel(s, flow);
}

/** The page of the engine's "no method" case: what is missing, and the way back to the service. */
export async function unmetLevelPage(sctx: BaseContext, slot: string): Promise<Page> {
  const { flow, services: s } = sctx;
  // Remembered with the flow (the engine saves it): the way back to the service needs it.
  flow.unmet = slot;
  const accepted = (sctx.client.accepted_methods as string[] | undefined) ?? s.steps.ofSlot(slot).map((st) => st.id);
  const lower = lowerAllowed(s, flow, sctx.details.params as Record<string, unknown>, sctx.client);
  return {
    view: 'views/unmet-level',
    data: { client: sctx.client.client_name as string | undefined, clientId: sctx.clientId, acr: flow.acr, methods: accepted, lower },
    status: 403,
  };
}

export function unmetLevelRoutes(router: Router, provider: Provider, s: Services, form: Koa.Middleware[]): void {
  router.post('/interaction/:uid/unmet', ...form, async (ctx) => {
    const { details, flow } = await postedFlow(ctx, provider, s.redis);
    if (typeof flow.unmet !== 'string') return ctx.throw(409, 'error.bad_request');
    const params = details.params as Record<string, unknown>;
    const clientId = String(params.client_id);
    const found = await provider.Client.find(clientId);
    const client = found ? clientMetadata(found) : {};
    const lower = lowerAllowed(s, flow, params, client);
    const accountId = flow.identified?.accountId;
    const account = lower && accountId ? await s.accounts.findById(accountId) : undefined;
    const audit = { client: clientId, ip: ctx.ip, interaction: details.uid, subject: accountId };
    let result: InteractionResults;
    if (lower && account && !account.disabled) {
      result = { login: { accountId: account.sub, acr: lower, amr: flow.amr, remember: false } };
      await s.audit.record({ ...audit, event: 'login', outcome: 'success', reason: `${lower} (asked ${flow.acr}, not reachable)` });
    } else {
      result = { error: 'unmet_authentication_requirements', error_description: `the requested level (${flow.acr}) cannot be reached by this user` };
      await s.audit.record({ ...audit, event: 'login.acr', outcome: 'failure', reason: `${flow.acr} not reachable: back to the client` });
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    await dropFlow(s.redis, details.uid);
    ctx.status = 303;
    ctx.redirect(to);
  });
}
