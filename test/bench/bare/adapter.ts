// The bare provider's storage: a minimal oidc-provider adapter over Redis, as a plain deployment
// writes it from the adapter interface. JSON strings with the model's TTL; consumable models are
// hashes (payload, consumed); a list of the keys issued under each grant; session uid and user code
// lookups. One pipeline per write.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Redis } from 'ioredis';

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export function bareAdapter(redis: Redis) {
  return (name: string): Adapter => {
    const key = (id: string) => `${name}:${id}`;
    const find = async (id: string): Promise<AdapterPayload | undefined> => {
      if (!CONSUMABLE.has(name)) {
        const raw = await redis.get(key(id));
        return raw ? (JSON.parse(raw) as AdapterPayload) : undefined;
      }
      const h = await redis.hgetall(key(id));
      if (!h.payload) return undefined;
      return { ...(JSON.parse(h.payload) as AdapterPayload), ...(h.consumed ? { consumed: Number(h.consumed) } : {}) };
    };
    return {
      async upsert(id, payload, expiresIn) {
        const p = redis.pipeline();
        const json = JSON.stringify(payload);
        if (CONSUMABLE.has(name)) p.hset(key(id), 'payload', json); else p.set(key(id), json);
        if (expiresIn) p.expire(key(id), expiresIn);
        if (GRANTABLE.has(name) && payload.grantId) {
          const grantKey = `grant:${payload.grantId}`;
          p.rpush(grantKey, key(id));
          if (expiresIn) p.expire(grantKey, expiresIn, 'NX').expire(grantKey, expiresIn, 'GT');
        }
        if (payload.uid) p.set(`uid:${payload.uid}`, id, 'EX', expiresIn ?? 86400);
        if (payload.userCode) p.set(`userCode:${payload.userCode}`, id, 'EX', expiresIn ?? 86400);
        await p.exec();
      },
      find,
      async findByUid(uid) {
        const id = await redis.get(`uid:${uid}`);
        return id ? find(id) : undefined;
      },
      async findByUserCode(userCode) {
        const id = await redis.get(`userCode:${userCode}`);
        return id ? find(id) : undefined;
      },
      async consume(id) {
        await redis.hset(key(id), 'consumed', Math.floor(Date.now() / 1000));
      },
      async destroy(id) {
        await redis.del(key(id));
      },
      async revokeByGrantId(grantId) {
        const grantKey = `grant:${grantId}`;
        const members = await redis.lrange(grantKey, 0, -1);
        await redis.del(...members, grantKey);
      },
    };
  };
}
