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
  // KEYS[1] a hash; ARGV[1] field, ARGV[2] the value read before ('' for none), ARGV[3] the new value.
  // Returns 1 when set, 0 when the field changed meanwhile (the caller reads again and retries).
  hashCompareAndSet: {
    numberOfKeys: 1,
    lua: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`,
  },
} as const;

export type ScriptName = keyof typeof scripts;

export interface ScriptedRedis extends Redis {
  passwordFailure(key: string, threshold: number): Promise<[number, number]>;
  passwordSuccess(key: string, verifiedHash: string): Promise<'ok' | 'locked' | 'stale'>;
  hashCompareAndSet(key: string, field: string, expected: string, value: string): Promise<0 | 1>;
}

export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, def] of Object.entries(scripts)) {
    redis.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
  }
  return redis as ScriptedRedis;
}
