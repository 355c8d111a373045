// The oidc-provider storage adapter on the suite's Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/redis.ts';
import { redisAdapterFactory } from '../../src/store/oidc-adapter.ts';
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

  it('revokes everything issued under a grant and nothing else', async () => {
    await adapter('AccessToken').upsert('at1', { grantId: 'g3' }, 60);
    await adapter('RefreshToken').upsert('rt1', { grantId: 'g3' }, 600);
    await adapter('AccessToken').upsert('at2', { grantId: 'other' }, 60);
    await adapter('AccessToken').revokeByGrantId('g3');
    expect(await adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('rt1')).toBeUndefined();
    expect(await adapter('AccessToken').find('at2')).toBeDefined();
    expect(await store.redis.exists(keys.grant('g3'))).toBe(0);
  });

  it('keeps the grant index bounded by live tokens and alive as long as its longest member', async () => {
    const at = adapter('AccessToken');
    await at.upsert('short', { grantId: 'g4' }, 1);
    await new Promise((r) => setTimeout(r, 1100));
    await at.upsert('long', { grantId: 'g4' }, 300);
    expect(await store.redis.zrange(keys.grant('g4'), 0, -1)).toEqual(['AccessToken:long']);
    expect(await store.redis.ttl(keys.grant('g4'))).toBeGreaterThan(290);
  });
});
