// The passkeys' Lua scripts: the sign counter's check-and-set, the failures and the locks change only
// here, so that any number of processes agree (a replayed or cloned answer cannot race past them).
import { defineScript, replies } from '../../src/store/script.ts';

// KEYS[1] the user's passkeys hash (failures, lock), KEYS[2] the credential's hash; ARGV[1] the
// credential id that was read, ARGV[2] the authenticator's new sign counter, ARGV[3] now (ms).
// A counter that does not go up (when either is not 0) means a cloned authenticator: the passkey is
// locked. Returns {status, counter}: 'ok', 'counter' (locked now; the stored counter), 'locked' (the
// user's passkeys), 'disabled' (this passkey), 'stale' (removed meanwhile).
export const passkeyAssert = defineScript<[credentialId: string, counter: number, now: number], [string, number]>({
  name: 'passkeyAssert',
  numberOfKeys: 2,
  lua: `
local a = redis.call('HGET', KEYS[1], 'locked')
if a == '1' then return {'locked', 0} end
local v = redis.call('HMGET', KEYS[2], 'id', 'counter', 'locked')
-- a missing field is false (the embedded store gives another nil)
for i = 1, #v do if type(v[i]) ~= 'string' then v[i] = false end end
if not v[1] or v[1] ~= ARGV[1] then return {'stale', 0} end
if v[3] == '1' then return {'disabled', 0} end
local old = tonumber(v[2] or '0')
local new = tonumber(ARGV[2])
if (new > 0 or old > 0) and new <= old then
  redis.call('HSET', KEYS[2], 'locked', '1')
  return {'counter', old}
end
redis.call('HSET', KEYS[2], 'counter', ARGV[2], 'lastUsedAt', ARGV[3])
redis.call('HSET', KEYS[1], 'failures', '0')
return {'ok', new}`,
  reply: replies.statusAndNumber,
});

// KEYS[1] the user's passkeys hash; ARGV[1] lockout threshold. One refused answer. Returns
// {status, failures}: 'counted', 'locked_now', 'locked' (already).
export const passkeyFailure = defineScript<[threshold: number], [string, number]>({
  name: 'passkeyFailure',
  numberOfKeys: 1,
  lua: `
if redis.call('HGET', KEYS[1], 'locked') == '1' then return {'locked', 0} end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'locked', '1')
  return {'locked_now', n}
end
return {'counted', n}`,
  reply: replies.statusAndNumber,
});
