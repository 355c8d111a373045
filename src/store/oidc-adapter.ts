// oidc-provider's storage adapter over Redis, one command per read and one round trip per write.
//
// - A model is a JSON string with the model's TTL (SET EX), written whole. The key already says the
//   model and the id, so a payload's `kind` and `jti` are not stored again (such a value starts with
//   "~"). Consumption appends "\n<time>" (a script, so that a key that has just expired is not
//   brought back); the first time appended is the one read.
// - Tokens are not indexed by grant. A revocation always ends the grant (revokeGrantPolicy in
//   src/token-policy.ts), and oidc-provider looks the grant up at every use of a token (the token
//   endpoint, userinfo, introspection): a token whose grant is gone is refused everywhere, and stays
//   stored, unusable, until its own expiry. revokeByGrantId only clears the per-grant index that
//   earlier versions kept (`oidc:grant:{GRANT}`), for tokens they issued.
// - An interaction is read together with the login engine's flow state (`flow:{UID}`, same hash
//   tag) in one MGET; the state is handed to loadFlow (src/flow/state.ts) through takeFlowRead.
// - A session is kept under its uid (`oidc:uid:{UID}`: the JSON, with its id), where every code and
//   refresh grant looks it up (findByUid: one GET); its id's key holds "@" and the uid, for the
//   lookups by cookie (find: two GETs, the session's id checked against the one asked for, so that
//   an id replaced by a new one finds nothing). Sessions stored the other way round by earlier
//   versions (the JSON under the id, the id under the uid) are still read.
// - Models written in the hash format of earlier versions ({payload, consumed}) are still read, but
//   for interactions (short-lived: a login in progress across the upgrade starts again).
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Redis } from 'ioredis';
import { keys } from './keys.ts';
import type { ScriptedRedis } from './scripts.ts';

// Client metadata is read several times per login and changes only by import: kept in memory for a
// few seconds (an import reaches other processes within CLIENT_CACHE_MS).
export const CLIENT_CACHE_MS = 5000;
const CLIENT_CACHE_MAX = 1000;

// The flow state read with an interaction, until loadFlow takes it (normally a few microtasks later,
// in the same request). Entries are taken once, dropped when the state is written, and ignored when
// older than HANDOVER_MS; per Redis client, so that several IdPs in one process stay apart.
const HANDOVER_MS = 2000;
const HANDOVER_SWEEP = 1000;
const handover = new WeakMap<object, Map<string, { raw: string | null; at: number }>>();

function handOver(redis: object, uid: string, raw: string | null): void {
  let map = handover.get(redis);
  if (!map) handover.set(redis, (map = new Map()));
  const now = performance.now();
  if (map.size >= HANDOVER_SWEEP) {
    // Interactions read without their state being loaded (the provider's resume destroys them).
    for (const [k, e] of map) if (now - e.at > HANDOVER_MS) map.delete(k);
    if (map.size >= HANDOVER_SWEEP * 10) map.clear();
  }
  map.set(uid, { raw, at: now });
}

/**
 * The flow state of interaction `uid` as read together with the interaction in this request: its
 * JSON, null when there was none, undefined when it must be read (nothing handed over, or too old).
 */
export function takeFlowRead(redis: object, uid: string): string | null | undefined {
  const map = handover.get(redis);
  const entry = map?.get(uid);
  if (!entry) return undefined;
  map!.delete(uid);
  return performance.now() - entry.at <= HANDOVER_MS ? entry.raw : undefined;
}

/** Forgets a handed-over flow state (it is being written or deleted). */
export function forgetFlowRead(redis: object, uid: string): void {
  handover.get(redis)?.delete(uid);
}

/** A session as kept under its uid: "~" and the JSON with its id (jti), without its kind. */
function encodeSession(id: string, payload: AdapterPayload): string {
  const { kind: _kind, ...rest } = payload;
  return `~${JSON.stringify({ ...rest, jti: id })}`;
}

function decodeSession(raw: string): AdapterPayload {
  return { kind: 'Session', ...(JSON.parse(raw.slice(1)) as AdapterPayload) };
}

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

  /** The stored value: "~" and the JSON without `kind` and `jti` when the key says them. */
  private encode(id: string, payload: AdapterPayload): string {
    if (payload.kind !== this.name || payload.jti !== id) return JSON.stringify(payload);
    const { kind: _kind, jti: _jti, ...rest } = payload;
    return `~${JSON.stringify(rest)}`;
  }

  private decode(id: string, raw: string): AdapterPayload {
    const nl = raw.indexOf('\n');
    const keyed = raw.charCodeAt(0) === 126; // '~'
    const payload = JSON.parse(raw.slice(keyed ? 1 : 0, nl < 0 ? undefined : nl)) as AdapterPayload;
    if (keyed) {
      payload.kind = this.name;
      payload.jti = id;
    }
    if (nl >= 0) {
      const end = raw.indexOf('\n', nl + 1);
      payload.consumed = Number(raw.slice(nl + 1, end < 0 ? undefined : end));
    }
    return payload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.cache?.delete(id);
    const key = this.key(id);
    if (this.name === 'Session' && payload.uid) {
      const ex = (k: string, v: string) => (expiresIn ? this.redis.set(k, v, 'EX', expiresIn) : this.redis.set(k, v));
      await Promise.all([ex(keys.sessionUid(payload.uid), encodeSession(id, payload)), ex(key, `@${payload.uid}`)]);
      return;
    }
    const json = this.encode(id, payload);
    const writes: Promise<unknown>[] = [expiresIn ? this.redis.set(key, json, 'EX', expiresIn) : this.redis.set(key, json)];
    if (payload.userCode) writes.push(expiresIn ? this.redis.set(keys.userCode(payload.userCode), id, 'EX', expiresIn) : this.redis.set(keys.userCode(payload.userCode), id));
    if (payload.uid) writes.push(expiresIn ? this.redis.set(keys.sessionUid(payload.uid), id, 'EX', expiresIn) : this.redis.set(keys.sessionUid(payload.uid), id));
    await Promise.all(writes);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache?.get(id);
    if (cached && cached.until > Date.now()) return { ...cached.payload };
    let raw: string | null;
    if (this.name === 'Interaction') {
      const [interaction, flow] = await this.redis.mget(this.key(id), keys.flow(id));
      raw = interaction ?? null;
      if (raw) {
        handOver(this.redis, id, flow ?? null);
      } else {
        forgetFlowRead(this.redis, id);
      }
    } else {
      try {
        raw = await this.redis.get(this.key(id));
      } catch (err) {
        if (!/WRONGTYPE/.test((err as Error).message)) throw err;
        return this.findHash(id);
      }
      if (this.name === 'Session' && raw?.charCodeAt(0) === 64) { // '@': the session is under its uid
        const stored = await this.redis.get(keys.sessionUid(raw.slice(1)));
        const session = stored ? decodeSession(stored) : undefined;
        return session?.jti === id ? session : undefined;
      }
    }
    if (!raw) return undefined;
    const payload = this.decode(id, raw);
    if (this.cache) {
      if (this.cache.size >= CLIENT_CACHE_MAX) this.cache.clear();
      this.cache.set(id, { payload, until: Date.now() + CLIENT_CACHE_MS });
      return { ...payload };
    }
    return payload;
  }

  /** A model stored by an earlier version: a hash {payload, consumed}. */
  private async findHash(id: string): Promise<AdapterPayload | undefined> {
    const data = await this.redis.hgetall(this.key(id));
    if (!data.payload) return undefined;
    const payload = JSON.parse(data.payload) as AdapterPayload;
    if (data.consumed) payload.consumed = Number(data.consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const stored = await this.redis.get(keys.sessionUid(uid));
    if (!stored) return undefined;
    // An earlier version's index holds the session's id.
    return stored.charCodeAt(0) === 126 ? decodeSession(stored) : this.find(stored);
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
    if (this.name === 'Interaction') {
      forgetFlowRead(this.redis, id);
      // The login engine's state goes with its interaction (same hash tag: one command).
      await this.redis.del(this.key(id), keys.flow(id));
      return;
    }
    if (this.name === 'Session') {
      // The session under its uid goes too, unless it is already another id's (a replaced id).
      let pointer: string | null;
      try {
        pointer = await this.redis.getdel(this.key(id));
      } catch (err) {
        if (!/WRONGTYPE/.test((err as Error).message)) throw err;
        pointer = null; // an earlier version's hash
        await this.redis.del(this.key(id));
      }
      if (pointer?.charCodeAt(0) !== 64) return;
      const uidKey = keys.sessionUid(pointer.slice(1));
      const stored = await this.redis.get(uidKey);
      if (stored && decodeSession(stored).jti === id) await this.redis.del(uidKey);
      return;
    }
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // The grant itself is destroyed beside this call (revokeGrantPolicy), which ends its tokens. What
    // is left is the index of earlier versions: their tokens are deleted as they were.
    const grantKey = keys.grant(grantId);
    const members = await this.redis.zrange(grantKey, 0, -1);
    if (!members.length) return;
    // One DEL per token: each lives in its own slot.
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
