// The engine's per-interaction state: one JSON value in Redis beside its interaction (the same hash
// tag, as long as the interaction). The store adapter reads it in the same MGET as the interaction
// (src/store/oidc-adapter.ts), so loading it after provider.interactionDetails costs no command;
// when nothing was handed over, it is read here.
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';
import { forgetFlowRead, takeFlowRead } from '../store/oidc-adapter.ts';
import { noteFlow } from '../http/page-context.ts';
import type { FlowState } from './step.ts';

export async function loadFlow(redis: Redis, uid: string): Promise<FlowState | undefined> {
  const handedOver = takeFlowRead(redis, uid);
  const raw = handedOver !== undefined ? handedOver : await redis.get(keys.flow(uid));
  if (!raw) return undefined;
  const flow = JSON.parse(raw) as FlowState;
  noteFlow(flow); // the pages of this request show the flow's progress (see src/http/views.ts)
  return flow;
}

export async function saveFlow(redis: Redis, uid: string, flow: FlowState, ttlSeconds: number): Promise<void> {
  noteFlow(flow);
  forgetFlowRead(redis, uid);
  await redis.set(keys.flow(uid), JSON.stringify(flow), 'EX', Math.max(ttlSeconds, 1));
}

export async function dropFlow(redis: Redis, uid: string): Promise<void> {
  forgetFlowRead(redis, uid);
  await redis.del(keys.flow(uid));
}
