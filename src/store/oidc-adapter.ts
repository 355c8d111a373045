// oidc-provider's storage adapter over Redis. Each model instance is a hash {payload, consumed}
// with the model's TTL. Grant-bound tokens are indexed in a sorted set scored by expiry, pruned on
// every write, so the index stays bounded by the live tokens and revokeByGrantId reaches them all.
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Redis } from 'ioredis';
import { keys } from './keys.ts';
import type { ScriptedRedis } from './scripts.ts';

const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

// Client metadata is read several times per login and changes only by import: kept in memory for a
// few seconds (an import reaches other processes within CLIENT_CACHE_MS).
export const CLIENT_CACHE_MS = 5000;
const CLIENT_CACHE_MAX = 1000;

export function redisAdapterFactory(redis: Redis) {
  const clientCache = new Map<string, { payload: AdapterPayload; until: number }>();
  return (name: string): Adapter => new RedisAdapter(name, redis, name === 'Client' ? clientCache : undefined);
}

class RedisAdapter implements Adapter {
  constructor(
    private readonly name: string,
    private readonly redis: Redis,
    private readonly cache?: Map<string, { payload: AdapterPayload; until: number }>,
  ) {}

  private key(id: string) {
    return keys.oidc(this.name, id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.cache?.delete(id);
    // The model (atomically, by script) and its indexes (other slots) are sent together: one round
    // trip with auto-pipelining, and no cross-slot pipeline (Redis Cluster refuses those).
    const redis = this.redis as ScriptedRedis;
    const writes: Promise<unknown>[] = [redis.oidcUpsert(this.key(id), JSON.stringify(payload), expiresIn ?? 0)];
    if (GRANTABLE.has(this.name) && payload.grantId) {
      const grantKey = keys.grant(payload.grantId);
      const now = Date.now();
      const expiresAt = expiresIn ? now + expiresIn * 1000 : Number.MAX_SAFE_INTEGER;
      writes.push(redis.zadd(grantKey, expiresAt, `${this.name}:${id}`), redis.zremrangebyscore(grantKey, '-inf', now));
      if (expiresIn) {
        // Keep the index as long as its longest-lived member.
        writes.push(redis.pexpireat(grantKey, expiresAt, 'GT'), redis.pexpireat(grantKey, expiresAt, 'NX'));
      } else {
        writes.push(redis.persist(grantKey));
      }
    }
    if (payload.userCode) {
      writes.push(expiresIn ? redis.set(keys.userCode(payload.userCode), id, 'EX', expiresIn) : redis.set(keys.userCode(payload.userCode), id));
    }
    if (payload.uid) {
      writes.push(expiresIn ? redis.set(keys.sessionUid(payload.uid), id, 'EX', expiresIn) : redis.set(keys.sessionUid(payload.uid), id));
    }
    await Promise.all(writes);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache?.get(id);
    if (cached && cached.until > Date.now()) return { ...cached.payload };
    const data = await this.redis.hgetall(this.key(id));
    if (!data.payload) return undefined;
    const payload = JSON.parse(data.payload) as AdapterPayload;
    if (data.consumed) payload.consumed = Number(data.consumed);
    if (this.cache) {
      if (this.cache.size >= CLIENT_CACHE_MAX) this.cache.clear();
      this.cache.set(id, { payload, until: Date.now() + CLIENT_CACHE_MS });
    }
    return { ...payload };
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
    await (this.redis as ScriptedRedis).oidcConsume(this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    this.cache?.delete(id);
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = keys.grant(grantId);
    const members = await this.redis.zrange(grantKey, 0, -1);
    // One DEL per key (they are in different slots), sent together.
    await Promise.all([
      ...members.map((member) => {
        const sep = member.indexOf(':');
        return this.redis.del(keys.oidc(member.slice(0, sep), member.slice(sep + 1)));
      }),
      this.redis.del(grantKey),
    ]);
  }
}

/** Stores a client's metadata through the provider's adapter (so cached copies are refreshed). */
export async function saveClient(provider: Provider, metadata: { client_id: string } & Record<string, unknown>): Promise<void> {
  await (provider.Client as unknown as { adapter: Adapter }).adapter.upsert(metadata.client_id, metadata);
}
