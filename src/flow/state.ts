// The engine's per-interaction state, one JSON value in Redis that lives as long as the interaction.
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';
import type { FlowState } from './step.ts';

export async function loadFlow(redis: Redis, uid: string): Promise<FlowState | undefined> {
  const raw = await redis.get(keys.flow(uid));
  return raw ? (JSON.parse(raw) as FlowState) : undefined;
}

export async function saveFlow(redis: Redis, uid: string, flow: FlowState, ttlSeconds: number): Promise<void> {
  await redis.set(keys.flow(uid), JSON.stringify(flow), 'EX', Math.max(ttlSeconds, 1));
}

export async function dropFlow(redis: Redis, uid: string): Promise<void> {
  await redis.del(keys.flow(uid));
}
