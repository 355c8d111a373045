// The oidc-provider storage adapter on the suite's Redis, and its storage format: models as strings
// without what their key says, consumption appended in place, models of the earlier hash format still
// read, and an interaction read together with its flow state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/redis.ts';
import { redisAdapterFactory, takeFlowRead } from '../../src/store/oidc-adapter.ts';
import { loadFlow, saveFlow } from '../../src/flow/state.ts';
import type { FlowState } from '../../src/flow/step.ts';
import { keys } from '../../src/store/keys.ts';
import { redisUrl, uniquePrefix } from '../helpers/idp.ts';

let store: Store;
let adapter: ReturnType<typeof redisAdapterFactory>;

beforeAll(async () => {
  store = await openStore({ redisUrl: redisUrl || undefined, redisPrefix: uniquePrefix() });
  adapter = redisAdapterFactory(store.redis);
});
afterAll(async () => store?.close());

describe('oidc-provider adapter', () => {
  it('stores, finds and expires a model', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'a', grantId: 'g1' }, 60);
    expect(await codes.find('c1')).toEqual({ accountId: 'a', grantId: 'g1' });
    const ttl = await store.redis.ttl(keys.oidc('AuthorizationCode', 'c1'));
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await codes.find('nope')).toBeUndefined();
  });

  it('marks a consumable model consumed once, keeping the first time', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c2', { grantId: 'g2' }, 60);
    await codes.consume('c2');
    const first = (await codes.find('c2'))!.consumed;
    expect(first).toBeGreaterThan(0);
    await codes.consume('c2');
    expect((await codes.find('c2'))!.consumed).toBe(first);
    await codes.consume('missing');
    expect(await codes.find('missing')).toBeUndefined();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'x' }, 60);
    expect((await adapter('Session').findByUid('u1'))?.accountId).toBe('x');
    await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g9' }, 60);
    expect((await adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.grantId).toBe('g9');
  });

  it('writes a token with one SET and keeps no index of a grant\'s tokens', async () => {
    await adapter('AccessToken').upsert('at0', { grantId: 'g0' }, 60);
    expect(await store.redis.exists(keys.grant('g0'))).toBe(0);
    expect(await store.redis.ttl(keys.oidc('AccessToken', 'at0'))).toBeGreaterThan(55);
  });

  it('on revocation, deletes the tokens an earlier version indexed under the grant, and nothing else', async () => {
    await adapter('AccessToken').upsert('at1', { grantId: 'g3' }, 60);
    await adapter('RefreshToken').upsert('rt1', { grantId: 'g3' }, 600);
    await adapter('AccessToken').upsert('at2', { grantId: 'other' }, 60);
    // The index as earlier versions wrote it.
    await store.redis.zadd(keys.grant('g3'), Date.now() + 60_000, 'AccessToken:at1', Date.now() + 600_000, 'RefreshToken:rt1');
    await adapter('AccessToken').revokeByGrantId('g3');
    expect(await adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('rt1')).toBeUndefined();
    expect(await adapter('AccessToken').find('at2')).toBeDefined();
    expect(await store.redis.exists(keys.grant('g3'))).toBe(0);
  });
});

describe('oidc-provider adapter storage', () => {
  it('consumes in place: the expiry is kept, and a missing model is not brought back', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('f1', { grantId: 'gf1' }, 60);
    await codes.consume('f1');
    expect((await codes.find('f1'))!.consumed).toBeGreaterThan(0);
    expect(await store.redis.ttl(keys.oidc('AuthorizationCode', 'f1'))).toBeGreaterThan(50);
    await codes.consume('missing-f');
    expect(await store.redis.exists(keys.oidc('AuthorizationCode', 'missing-f'))).toBe(0);
  });

  it('stores a model once: no kind or jti beside the key that says them, both given back', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s9', { kind: 'Session', jti: 's9', uid: 'u9', accountId: 'x' }, 60);
    const raw = (await store.redis.get(keys.oidc('Session', 's9')))!;
    expect(raw).not.toMatch(/"kind"|"jti"/);
    expect(await sessions.find('s9')).toEqual({ kind: 'Session', jti: 's9', uid: 'u9', accountId: 'x' });
    // A payload whose kind or jti differ from the key is kept as given.
    await adapter('Client').upsert('cl9', { client_id: 'cl9', kind: 'x' });
    expect(await adapter('Client').find('cl9')).toEqual({ client_id: 'cl9', kind: 'x' });
  });

  it('keeps a session under its uid: one read by uid, a replaced or destroyed id finds nothing', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('sA', { kind: 'Session', jti: 'sA', uid: 'uA', accountId: 'x' }, 60);
    expect(await store.redis.get(keys.oidc('Session', 'sA'))).toBe('@uA');
    expect(await sessions.findByUid('uA')).toEqual({ kind: 'Session', jti: 'sA', uid: 'uA', accountId: 'x' });
    expect(await sessions.find('sA')).toEqual({ kind: 'Session', jti: 'sA', uid: 'uA', accountId: 'x' });
    expect(await store.redis.ttl(keys.sessionUid('uA'))).toBeGreaterThan(50);
    // A new id for the same session (as after a login): the old id is destroyed, then the new one saved.
    await sessions.destroy('sA');
    await sessions.upsert('sB', { kind: 'Session', jti: 'sB', uid: 'uA', accountId: 'y' }, 60);
    expect(await sessions.find('sA')).toBeUndefined();
    expect((await sessions.find('sB'))?.accountId).toBe('y');
    // An old id left pointing at the uid (written meanwhile elsewhere) does not find the new session.
    await store.redis.set(keys.oidc('Session', 'sA'), '@uA', 'EX', 60);
    expect(await sessions.find('sA')).toBeUndefined();
    await sessions.destroy('sA'); // and destroying it leaves the new one alone
    expect((await sessions.findByUid('uA'))?.jti).toBe('sB');
    // Logout: gone by id and by uid.
    await sessions.destroy('sB');
    expect(await sessions.find('sB')).toBeUndefined();
    expect(await sessions.findByUid('uA')).toBeUndefined();
  });

  it('reads a session stored by the earlier version (the JSON under its id, its id under the uid)', async () => {
    await store.redis.set(keys.oidc('Session', 'sOld'), `~${JSON.stringify({ uid: 'uOld', accountId: 'z' })}`, 'EX', 60);
    await store.redis.set(keys.sessionUid('uOld'), 'sOld', 'EX', 60);
    const sessions = adapter('Session');
    expect(await sessions.findByUid('uOld')).toEqual({ kind: 'Session', jti: 'sOld', uid: 'uOld', accountId: 'z' });
    expect((await sessions.find('sOld'))?.accountId).toBe('z');
    await sessions.destroy('sOld');
    expect(await sessions.findByUid('uOld')).toBeUndefined();
  });

  // The embedded store starts empty: it never holds data of an earlier version.
  it.skipIf(!redisUrl)('reads models stored as hashes by earlier versions, and consumes them once', async () => {
    const key = keys.oidc('RefreshToken', 'old1');
    await store.redis.hset(key, 'payload', JSON.stringify({ kind: 'RefreshToken', jti: 'old1', grantId: 'g8' }));
    await store.redis.expire(key, 60);
    const tokens = adapter('RefreshToken');
    expect(await tokens.find('old1')).toEqual({ kind: 'RefreshToken', jti: 'old1', grantId: 'g8' });
    await tokens.consume('old1');
    const first = (await tokens.find('old1'))!.consumed;
    expect(first).toBeGreaterThan(0);
    await tokens.consume('old1');
    expect((await tokens.find('old1'))!.consumed).toBe(first);
  });

  it('reads an interaction and its flow state in one command, and deletes them together', async () => {
    const interactions = adapter('Interaction');
    const flow = { prompt: 'login', acr: 'a', chain: [], index: 0, csrf: 'c', locale: 'en', amr: [], pending: [], data: {} } as unknown as FlowState;
    await interactions.upsert('i1', { kind: 'Interaction', jti: 'i1', returnTo: '/x' }, 60);
    await saveFlow(store.redis, 'i1', flow, 60);
    expect((await interactions.find('i1'))?.returnTo).toBe('/x');
    // Handed over once: the next read goes to Redis.
    expect(takeFlowRead(store.redis, 'i1')).toBe(JSON.stringify(flow));
    expect(takeFlowRead(store.redis, 'i1')).toBeUndefined();
    await interactions.find('i1');
    expect(await loadFlow(store.redis, 'i1')).toEqual(flow);
    // A write in between makes loadFlow read again (not the older state handed over).
    await interactions.find('i1');
    await saveFlow(store.redis, 'i1', { ...flow, index: 1 }, 60);
    expect((await loadFlow(store.redis, 'i1'))?.index).toBe(1);
    await interactions.destroy('i1');
    expect(await store.redis.exists(keys.oidc('Interaction', 'i1'), keys.flow('i1'))).toBe(0);
    expect(await interactions.find('i1')).toBeUndefined();
    expect(takeFlowRead(store.redis, 'i1')).toBeUndefined();
  });
});
