// The authenticator app's Lua scripts: the last used time step, the failures and the lock change
// only here (a code is accepted once, on every process).
import { defineScript, replies } from '../../src/store/script.ts';

// KEYS[1] authenticator-app hash; ARGV[1] device id that was read, ARGV[2] matched time step or -1,
// ARGV[3] lockout threshold. A step at or before the last one used is a replay, refused and counted.
// Returns {status, failures}: 'ok', 'wrong', 'replay', 'locked_now', 'locked', 'stale'.
export const totpAnswer = defineScript<[deviceId: string, step: number, threshold: number], [string, number]>({
  name: 'totpAnswer',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'id', 'locked', 'lastStep')
-- a missing field is false (the embedded store gives another nil)
for i = 1, #v do if type(v[i]) ~= 'string' then v[i] = false end end
if not v[1] or v[1] ~= ARGV[1] then return {'stale', 0} end
if v[2] == '1' then return {'locked', 0} end
local step = tonumber(ARGV[2])
local status = 'wrong'
if step >= 0 then
  if step > tonumber(v[3] or '-1') then
    redis.call('HSET', KEYS[1], 'lastStep', ARGV[2], 'failures', '0')
    return {'ok', 0}
  end
  status = 'replay'
end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'locked', '1')
  return {'locked_now', n}
end
return {status, n}`,
  reply: replies.statusAndNumber,
});

// KEYS[1] authenticator-app hash; ARGV[1] device id, ARGV[2] the second code's time step, ARGV[3]
// the new clock offset in steps. Refuses steps already used; clears the failures and the lock.
export const totpResync = defineScript<[deviceId: string, step: number, offset: number], 'ok' | 'stale' | 'replay'>({
  name: 'totpResync',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'id', 'lastStep')
-- a missing field is false (the embedded store gives another nil)
for i = 1, #v do if type(v[i]) ~= 'string' then v[i] = false end end
if not v[1] or v[1] ~= ARGV[1] then return 'stale' end
if tonumber(ARGV[2]) <= tonumber(v[2] or '-1') then return 'replay' end
redis.call('HSET', KEYS[1], 'lastStep', ARGV[2], 'offset', ARGV[3], 'failures', '0', 'locked', '0')
return 'ok'`,
  reply(raw) {
    const v = replies.string(raw);
    if (v !== 'ok' && v !== 'stale' && v !== 'replay') throw new Error(`totpResync: unexpected reply ${v}`);
    return v;
  },
});
