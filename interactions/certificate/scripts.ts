// Client certificates' Lua scripts: a certificate's revocation and its first use change its record
// only here, so that two processes cannot both revoke (with different reasons) or both see a first use.
import { defineScript, replies } from '../../src/store/script.ts';

// KEYS[1] certificate hash; ARGV[1] time (ms), ARGV[2] reason. Returns {'ok'|'already'|'none', revokedAt}.
export const certRevoke = defineScript<[now: number, reason: string], [string, number]>({
  name: 'certRevoke',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'serial', 'revokedAt')
if type(v[1]) ~= 'string' then return {'none', 0} end
if type(v[2]) == 'string' then return {'already', tonumber(v[2])} end
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1], 'reason', ARGV[2])
return {'ok', tonumber(ARGV[1])}`,
  reply: replies.statusAndNumber,
});

// KEYS[1] certificate hash; ARGV[1] time (ms). Records the first login with the certificate. Returns
// {'first', the serial it replaces or ''} the first time, {'again', ''} after.
export const certFirstUse = defineScript<[now: number], [string, string]>({
  name: 'certFirstUse',
  numberOfKeys: 1,
  lua: `
if redis.call('HSETNX', KEYS[1], 'usedAt', ARGV[1]) == 0 then return {'again', ''} end
local r = redis.call('HGET', KEYS[1], 'replaces')
if type(r) ~= 'string' then r = '' end
return {'first', r}`,
  reply(raw) {
    const [status, replaces] = replies.tuple(raw, 2);
    return [replies.string(status), replies.string(replaces)];
  },
});
