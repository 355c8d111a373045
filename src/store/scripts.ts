// Lua scripts: every read-modify-write on security state is one of these, so that concurrent
// requests on any number of processes cannot race past a limit. Keys a script touches together
// share a hash tag.
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
  // Returns 'ok' (failures reset: written only when there are some), 'locked', or 'stale' (the
  // password changed meanwhile).
  passwordSuccess: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('HMGET', KEYS[1], 'locked', 'hash', 'failures')
if v[1] == '1' then return 'locked' end
if v[2] ~= ARGV[1] then return 'stale' end
if v[3] and v[3] ~= '0' then redis.call('HSET', KEYS[1], 'failures', '0') end
return 'ok'`,
  },
  // KEYS[1] an oidc-provider model (a JSON string); ARGV[1] time of consumption. Appends "\n<time>"
  // (APPEND keeps the TTL; the adapter reads the first time appended, so the first time is kept),
  // and never brings back a key that has expired meanwhile (an APPEND that made the key is undone,
  // within the script: nobody sees it). A model in the hash format of earlier versions gets a
  // 'consumed' field instead.
  oidcConsume: {
    numberOfKeys: 1,
    lua: `
local suffix = '\\n' .. ARGV[1]
local r = redis.pcall('APPEND', KEYS[1], suffix)
if type(r) == 'table' and r.err then return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) end
if r == #suffix then
  redis.call('DEL', KEYS[1])
  return 0
end
return 1`,
  },
  // KEYS[1] a credential's hash (password, card, app); ARGV fields to drop as well. Clears the
  // failures and the lock only if the credential still exists (never leaves a stub behind).
  // Returns 1 when unlocked, 0 when there is no such credential.
  unlockCredential: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'failures', '0', 'locked', '0')
for i = 1, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return 1`,
  },
  // KEYS[1] a credential's hash; ARGV field/value pairs. Sets them only where no password exists yet
  // (an import that several starting processes run at once sets it once). Returns 1 set, 0 kept.
  credentialInit: {
    numberOfKeys: 1,
    lua: `
if redis.call('HEXISTS', KEYS[1], 'hash') == 1 then return 0 end
-- Lua 5.1 in Redis, 5.3 in the embedded store
local unpackArgs = unpack or table.unpack
redis.call('HSET', KEYS[1], unpackArgs(ARGV))
return 1`,
  },
  // KEYS[1] a string; ARGV[1] the value read before, ARGV[2] the new value. Returns 1 when replaced,
  // 0 when someone changed it meanwhile.
  stringCompareAndSet: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`,
  },
  // KEYS[1] one-time code hash; ARGV now, expiresAt, code HMAC, channel, masked target, key TTL (ms),
  // ref (the interaction or page flow that asked).
  // While the current code is valid (even if voided by wrong entries) nothing is issued.
  // Returns {issued 1|0, expiresAt of the code in force}.
  otpIssue: {
    numberOfKeys: 1,
    lua: `
local exp = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
if exp and exp > tonumber(ARGV[1]) then return {0, exp} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[3], 'expiresAt', ARGV[2], 'attempts', '0', 'channel', ARGV[4], 'to', ARGV[5], 'ref', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {1, tonumber(ARGV[2])}`,
  },
  // KEYS[1] one-time code hash, KEYS[2] the account's password credential (same hash tag);
  // ARGV now, candidate HMAC, max attempts per code, lockout threshold, refuse when locked (1|0).
  // The HMACs are keyed with DATA_KEY, so comparing them here leaks nothing about the code.
  // Returns {status, attempts left, credential failures, locked by this entry 1|0}; status
  // 1 right (code consumed, failures reset), 0 wrong, 2 wrong and the code is now void,
  // -1 no code, -2 expired, -3 void, -4 credential locked.
  otpCheck: {
    numberOfKeys: 2,
    lua: `
local c = redis.call('HMGET', KEYS[1], 'hash', 'expiresAt', 'attempts')
local exp = tonumber(c[2])
if not c[1] or not exp then return {-1, 0, 0, 0} end
if exp <= tonumber(ARGV[1]) then return {-2, 0, 0, 0} end
local max = tonumber(ARGV[3])
local attempts = tonumber(c[3]) or 0
if attempts >= max then return {-3, 0, 0, 0} end
local hasCred = redis.call('EXISTS', KEYS[2]) == 1
local locked = hasCred and redis.call('HGET', KEYS[2], 'locked') == '1'
if locked and ARGV[5] == '1' then return {-4, max - attempts, 0, 0} end
if c[1] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  if hasCred and not locked then redis.call('HSET', KEYS[2], 'failures', '0') end
  return {1, 0, 0, 0}
end
attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local failures, lockedNow = 0, 0
if hasCred and not locked then
  failures = redis.call('HINCRBY', KEYS[2], 'failures', 1)
  if failures >= tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[2], 'locked', '1')
    lockedNow = 1
  end
end
if attempts >= max then return {2, 0, failures, lockedNow} end
return {0, max - attempts, failures, lockedNow}`,
  },
  // KEYS[1] one-time code hash; ARGV[1] the HMAC of the code to withdraw (a delivery failed).
  otpWithdraw: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'hash') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
  // KEYS[1] a back-office request; ARGV new status, decidedAt, decidedBy, note.
  // Only a pending request is decided, once: returns 'ok' or the status it already has.
  requestDecide: {
    numberOfKeys: 1,
    lua: `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'missing' end
if st ~= 'pending' then return st end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decidedAt', ARGV[2], 'decidedBy', ARGV[3], 'note', ARGV[4])
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

export interface ScriptedRedis extends Redis {
  passwordFailure(key: string, threshold: number): Promise<[number, number]>;
  passwordSuccess(key: string, verifiedHash: string): Promise<'ok' | 'locked' | 'stale'>;
  oidcConsume(key: string, at: number): Promise<number>;
  stringCompareAndSet(key: string, expected: string, value: string): Promise<0 | 1>;
  credentialInit(key: string, ...fieldsAndValues: string[]): Promise<0 | 1>;
  unlockCredential(key: string, ...dropFields: string[]): Promise<0 | 1>;
  otpIssue(key: string, now: number, expiresAt: number, hash: string, channel: string, to: string, keyTtlMs: number, ref: string): Promise<[number, number]>;
  otpCheck(key: string, credentialKey: string, now: number, hash: string, maxAttempts: number, lockout: number, refuseLocked: 0 | 1): Promise<[number, number, number, number]>;
  otpWithdraw(key: string, hash: string): Promise<number>;
  requestDecide(key: string, status: string, decidedAt: number, decidedBy: string, note: string): Promise<string>;
  hashCompareAndSet(key: string, field: string, expected: string, value: string): Promise<0 | 1>;
}

export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, def] of Object.entries(scripts)) {
    redis.defineCommand(name, { numberOfKeys: def.numberOfKeys, lua: def.lua });
  }
  return redis as ScriptedRedis;
}
