// The engine's per-interaction state, one JSON value in Redis that lives as long as the interaction.
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';
import { noteFlow } from '../http/page-context.ts';
import type { FlowState } from './step.ts';

export async function loadFlow(redis: Redis, uid: string): Promise<FlowState | undefined> {
  const raw = await redis.get(keys.flow(uid));
  if (!raw) return undefined;
  const flow = JSON.parse(raw) as FlowState;
  noteFlow(flow); // the pages of this request show the flow's progress (see src/http/views.ts)
  return flow;
}

export async function saveFlow(redis: Redis, uid: string, flow: FlowState, ttlSeconds: number): Promise<void> {
  noteFlow(flow);
  await redis.set(keys.flow(uid), JSON.stringify(flow), 'EX', Math.max(ttlSeconds, 1));
}

export async function dropFlow(redis: Redis, uid: string): Promise<void> {
  await redis.del(keys.flow(uid));
}
