// oidc-provider's storage adapter over Redis. Each model instance is a hash {payload, consumed}
// with the model's TTL. Grant-bound tokens are indexed in a sorted set scored by expiry, pruned on
// every write, so the index stays bounded by the live tokens and revokeByGrantId reaches them all.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Redis } from 'ioredis';
import { keys } from './keys.ts';

const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

export function redisAdapterFactory(redis: Redis) {
  return (name: string): Adapter => new RedisAdapter(name, redis);
}

class RedisAdapter implements Adapter {
  constructor(private readonly name: string, private readonly redis: Redis) {}

  private key(id: string) {
    return keys.oidc(this.name, id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const tx = this.redis.multi();
    tx.del(key);
    tx.hset(key, 'payload', JSON.stringify(payload));
    if (expiresIn) tx.expire(key, expiresIn);
    await tx.exec();

    // Secondary indexes live in other slots: written separately (not security counters).
    const side = this.redis.pipeline();
    if (GRANTABLE.has(this.name) && payload.grantId) {
      const grantKey = keys.grant(payload.grantId);
      const now = Date.now();
      const expiresAt = expiresIn ? now + expiresIn * 1000 : Number.MAX_SAFE_INTEGER;
      side.zadd(grantKey, expiresAt, `${this.name}:${id}`);
      side.zremrangebyscore(grantKey, '-inf', now);
      if (expiresIn) {
        // Keep the index as long as its longest-lived member.
        side.pexpireat(grantKey, expiresAt, 'GT');
        side.pexpireat(grantKey, expiresAt, 'NX');
      } else {
        side.persist(grantKey);
      }
    }
    if (payload.userCode) {
      side.set(keys.userCode(payload.userCode), id);
      if (expiresIn) side.expire(keys.userCode(payload.userCode), expiresIn);
    }
    if (payload.uid) {
      side.set(keys.sessionUid(payload.uid), id);
      if (expiresIn) side.expire(keys.sessionUid(payload.uid), expiresIn);
    }
    if (side.length) await side.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const data = await this.redis.hgetall(this.key(id));
    if (!data.payload) return undefined;
    const payload = JSON.parse(data.payload) as AdapterPayload;
    if (data.consumed) payload.consumed = Number(data.consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(keys.sessionUid(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(keys.userCode(userCode));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    // HSETNX keeps the first consumption time; the key must exist (no resurrection without TTL).
    const key = this.key(id);
    if (await this.redis.exists(key)) await this.redis.hsetnx(key, 'consumed', Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = keys.grant(grantId);
    const members = await this.redis.zrange(grantKey, 0, -1);
    const pipe = this.redis.pipeline();
    for (const member of members) {
      const sep = member.indexOf(':');
      pipe.del(keys.oidc(member.slice(0, sep), member.slice(sep + 1)));
    }
    pipe.del(grantKey);
    await pipe.exec();
  }
}
