// The payment code's issue, a Lua script (its check is the core one-time-code check, which also
// counts the wrong entries toward the password's lockout, atomically).
import { defineScript, replies } from '../../src/store/script.ts';

// KEYS[1] payment code hash; ARGV now, expiresAt, HMAC, binding, channel, masked contact, key TTL ms,
// attempts that void a code. A code for the same binding still valid and not void stays (a reload
// sends nothing); any other (another payment, another interaction, or used up) is replaced. Returns {1 issued | 0 kept, expiresAt}.
export const paymentCodeIssue = defineScript<[now: number, expiresAt: number, hash: string, binding: string, channel: string, to: string, ttlMs: number, maxAttempts: number], [number, number]>({
  name: 'paymentCodeIssue',
  numberOfKeys: 1,
  lua: `
local v = redis.call('HMGET', KEYS[1], 'binding', 'expiresAt', 'attempts')
local exp = tonumber(v[2])
if v[1] == ARGV[4] and exp and exp > tonumber(ARGV[1]) and (tonumber(v[3]) or 0) < tonumber(ARGV[8]) then return {0, exp} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[3], 'expiresAt', ARGV[2], 'attempts', '0', 'binding', ARGV[4], 'channel', ARGV[5], 'to', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {1, tonumber(ARGV[2])}`,
  reply: (raw) => {
    const [a, b] = replies.tuple(raw, 2);
    return [Number(a), Number(b)];
  },
});
