// The Security Card's Lua scripts: the challenge and the answer change the card's hash only here,
// so that concurrent logins on any number of processes cannot race past the lockout.
import { defineScript, replies } from '../../src/store/script.ts';

// KEYS[1] Security Card hash; ARGV the 50 cell numbers in a random order (drawn by the caller from
// a CSPRNG). Returns the standing challenge, or sets the first two unused cells of ARGV as the new
// one: {'ok', 'a,b', serial}, {'locked', 'a,b' or '', serial}, {'exhausted', '', serial} (fewer
// than two unused cells), {'none'}.
export const cardChallenge = defineScript<number[], [string, string | undefined, string | undefined]>({
  name: 'cardChallenge',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'serial', 'locked', 'challenge', 'used')
-- a missing field is false (the embedded store gives another nil)
for i = 1, #v do if type(v[i]) ~= 'string' then v[i] = false end end
if not v[1] then return {'none'} end
if v[2] == '1' then return {'locked', v[3] or '', v[1]} end
if v[3] then return {'ok', v[3], v[1]} end
local used = v[4] or ''
local picked = {}
for i = 1, #ARGV do
  local n = tonumber(ARGV[i])
  if string.sub(used, n, n) ~= '1' then
    picked[#picked + 1] = ARGV[i]
    if #picked == 2 then break end
  end
end
if #picked < 2 then return {'exhausted', '', v[1]} end
local c = picked[1] .. ',' .. picked[2]
redis.call('HSET', KEYS[1], 'challenge', c)
return {'ok', c, v[1]}`,
  reply(raw) {
    const [status, cells, serial] = replies.tuple(raw, 1);
    return [replies.string(status), cells === undefined ? undefined : replies.string(cells), serial === undefined ? undefined : replies.string(serial)];
  },
});

// KEYS[1] Security Card hash; ARGV[1] serial, ARGV[2] challenge answered, ARGV[3] '1' right / '0'
// wrong, ARGV[4] lockout threshold, ARGV[5] '1' single-use cells. The challenge stays until it is
// answered right or the card locks. Returns {status, n}: 'ok' (n: unused cells left), 'wrong' or
// 'locked_now' (n: failures), 'locked', 'stale' (reprinted or answered meanwhile; nothing counted).
export const cardAnswer = defineScript<[serial: string, challenge: string, ok: 0 | 1, threshold: number, singleUse: 0 | 1], [string, number]>({
  name: 'cardAnswer',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'serial', 'challenge', 'locked', 'used')
-- a missing field is false (the embedded store gives another nil)
for i = 1, #v do if type(v[i]) ~= 'string' then v[i] = false end end
if not v[1] or v[1] ~= ARGV[1] then return {'stale', 0} end
if v[3] == '1' then return {'locked', 0} end
if v[2] ~= ARGV[2] then return {'stale', 0} end
if ARGV[3] == '1' then
  local used = v[4] or ''
  if ARGV[5] == '1' then
    for cell in string.gmatch(ARGV[2], '%d+') do
      local n = tonumber(cell)
      used = string.sub(used, 1, n - 1) .. '1' .. string.sub(used, n + 1)
    end
    redis.call('HSET', KEYS[1], 'used', used)
  end
  redis.call('HSET', KEYS[1], 'failures', '0')
  redis.call('HDEL', KEYS[1], 'challenge')
  local _, count = string.gsub(used, '1', '')
  return {'ok', 50 - count}
end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'locked', '1')
  return {'locked_now', n}
end
return {'wrong', n}`,
  reply: replies.statusAndNumber,
});
