// The engine's per-interaction state: one JSON value in Redis beside its interaction (the same hash
// tag, as long as the interaction). The store adapter reads it in the same MGET as the interaction
// (src/store/oidc-adapter.ts), so loading it after provider.interactionDetails costs no command;
// when nothing was handed over, it is read here.
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';
import { forgetFlowRead, takeFlowRead } from '../store/oidc-adapter.ts';
import { noteFlow } from '../http/page-context.ts';
import type { FlowState } from './step.ts';

// The JSON text each flow object was read from: what it is compared with to know whether a request
// changed it (the text JSON.stringify gave when it was written, so an unchanged flow gives it again).
const readAs = new WeakMap<FlowState, string>();

/** The flow as read from Redis, in JSON (JSON.stringify of it when it was not read by loadFlow). */
export function flowText(flow: FlowState): string {
  return readAs.get(flow) ?? JSON.stringify(flow);
}

export async function loadFlow(redis: Redis, uid: string): Promise<FlowState | undefined> {
  const handedOver = takeFlowRead(redis, uid);
  const raw = handedOver !== undefined ? handedOver : await redis.get(keys.flow(uid));
  if (!raw) return undefined;
  const flow = JSON.parse(raw) as FlowState;
  readAs.set(flow, raw);
  noteFlow(flow); // the pages of this request show the flow's progress (see src/http/views.ts)
  return flow;
}

/** `json`: JSON.stringify(flow), when the caller has it already. */
export async function saveFlow(redis: Redis, uid: string, flow: FlowState, ttlSeconds: number, json = JSON.stringify(flow)): Promise<void> {
  noteFlow(flow);
  forgetFlowRead(redis, uid);
  await redis.set(keys.flow(uid), json, 'EX', Math.max(ttlSeconds, 1));
}

export async function dropFlow(redis: Redis, uid: string): Promise<void> {
  forgetFlowRead(redis, uid);
  await redis.del(keys.flow(uid));
}
