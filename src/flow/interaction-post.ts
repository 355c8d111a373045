// A post to one of the login's side routes (/interaction/:uid/<action>, after formPost checked its
// token): the interaction, its flow state, and the form.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Redis } from 'ioredis';
import { FlowError } from '../errors.ts';
import { loadFlow, saveFlow } from './state.ts';
import type { FlowState } from './step.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function postedFlow(ctx: Koa.Context, provider: Provider, redis: Redis): Promise<{ details: Details; flow: FlowState; body: Record<string, unknown> }> {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const flow = await loadFlow(redis, details.uid);
  const body = ctx.request.body ?? {};
  if (!flow) throw new FlowError(400, 'error.session_not_found');
  return { details, flow, body };
}

/** Saves the flow state for as long as its interaction lives. */
export function keepFlow(redis: Redis, details: Details, flow: FlowState): Promise<void> {
  return saveFlow(redis, details.uid, flow, Math.ceil(details.exp - Date.now() / 1000));
}
