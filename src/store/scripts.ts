// Lua scripts: every read-modify-write on security state is one of these, so that concurrent
// requests on any number of processes cannot race past a limit. Each touches one key.
import type { Redis } from 'ioredis';

const scripts = {
  // KEYS[1] credential hash; ARGV[1] lockout threshold.
  // Returns {failures, status}: status 0 counted, 1 locked by this failure, 2 already locked,
  // -1 no such credential (nothing counted).
  passwordFailure: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, -1} end
if redis.call('HGET', KEYS[1], 'locked') == '1' then
  return {tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'), 2}
end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'locked', '1')
  return {n, 1}
end
return {n, 0}`,
  },
  // KEYS[1] credential hash; ARGV[1] the hash that was verified.
  // Returns 'ok' (failures reset), 'locked', or 'stale' (the password changed meanwhile).
  passwordSuccess: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('HMGET', KEYS[1], 'locked', 'hash')
if v[1] == '1' then return 'locked' end
if v[2] ~= ARGV[1] then return 'stale' end
redis.call('HSET', KEYS[1], 'failures', '0')
return 'ok'`,
  },
  // KEYS[1] an oidc-provider model's hash; ARGV[1] payload JSON, ARGV[2] TTL in seconds (0: none).
  // Replaces the model in one step (readers never see it half-written).
  oidcUpsert: {
    numberOfKeys: 1,
    lua: `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  },
} as const;

export type ScriptName = keyof typeof scripts;

export interface ScriptedRedis extends Redis {
  passwordFailure(key: string, threshold: number): Promise<[number, number]>;
  passwordSuccess(key: string, verifiedHash: string): Promise<'ok' | 'locked' | 'stale'>;
  oidcUpsert(key: string, payload: string, ttlSeconds: number): Promise<number>;
}

export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, def] of Object.entries(scripts)) {
    redis.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
  }
  return redis as ScriptedRedis;
}
