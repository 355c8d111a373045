// Production start-up checks: a DATA_KEY of low entropy, an http:// issuer, demo data or /demo, a
// DATA_KEY that does not open what is sealed in Redis, signing keys kept in plain form; HSTS over
// TLS; boot imports that several processes run at once set each initial password once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { loadServerKeys } from '../../src/server-keys.ts';
import { productionProblems } from '../../src/startup-checks.ts';
import { openStore, type Store } from '../../src/store/redis.ts';
import { keys } from '../../src/store/keys.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { realRedis, redisCluster, redisUrl, startIdp, testConfig, uniquePrefix, type TestIdp } from '../helpers/idp.ts';
import { runToExit } from '../helpers/process.ts';
import { TEST_DATA } from '../helpers/data.ts';

const GOOD_KEY = '3f9a1c7e52b04d8e96a2f1c03b7d5e49a8c61f20e4b39d7a05c8e2f61b94d3a7';
const production = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', DATA_KEY: GOOD_KEY, ISSUER: 'https://idp.example', ...env });

describe('settings production mode refuses', () => {
  it('accepts a sound configuration', () => {
    expect(productionProblems(production({}))).toEqual([]);
  });

  it('names a low-entropy DATA_KEY, an http:// issuer and the demo', () => {
    expect(productionProblems(production({ DATA_KEY: '00'.repeat(32) }))[0]).toMatch(/DATA_KEY .*low entropy/);
    expect(productionProblems(production({ DATA_KEY: 'ab'.repeat(32) }))[0]).toMatch(/low entropy/);
    expect(productionProblems(production({ ISSUER: 'http://idp.example' }))[0]).toMatch(/ISSUER .*https/);
    expect(productionProblems(production({ DEMO: '1' }))[0]).toMatch(/DEMO/);
  });

  it('stops `npm start` with every problem named', async () => {
    const { code, output } = await runToExit({ NODE_ENV: 'production', DATA_KEY: '00'.repeat(32), ISSUER: 'http://idp.example', DEMO: '1' }, []);
    expect(code).toBe(1);
    expect(output).toMatch(/cannot start: invalid setting DATA_KEY \(dataKey\): low entropy.*invalid setting ISSUER.*invalid setting DEMO/);
  });
});

describe.skipIf(!realRedis)('what is sealed in Redis', () => {
  let store: Store;
  beforeAll(async () => { store = await openStore(testConfig()); });
  afterAll(async () => store?.close());
  const base = { jwks: undefined, cookieKeys: undefined, production: true };

  it('keeps the generated signing and cookie keys sealed under DATA_KEY', async () => {
    await loadServerKeys(store.redis, { ...base, dataKey: GOOD_KEY });
    expect(await store.redis.get(keys.jwks)).toMatch(/^sealed:v1\./);
    expect(await store.redis.get(keys.cookieKeys)).toMatch(/^sealed:v1\./);
    expect(await store.redis.get(keys.jwks)).not.toContain('"d"');
  });

  it('refuses a DATA_KEY that does not open them', async () => {
    await expect(loadServerKeys(store.redis, { ...base, dataKey: randomBytes(32).toString('hex') })).rejects.toThrow(/DATA_KEY .*does not open/);
    // The same with configured keys: the sealed check value tells.
    await expect(loadServerKeys(store.redis, { ...base, dataKey: randomBytes(32).toString('hex'), jwks: { keys: [{ kty: 'oct' }] }, cookieKeys: ['x'.repeat(32)] })).rejects.toThrow(/does not open the data/);
  });

  it('refuses signing keys kept in plain form in production, and seals them outside it', async () => {
    const plain = await openStore(testConfig());
    try {
      await plain.redis.set(keys.jwks, JSON.stringify({ keys: [{ kty: 'RSA', d: 'secret' }] }));
      await expect(loadServerKeys(plain.redis, { ...base, dataKey: GOOD_KEY })).rejects.toThrow(/plain form/);
      await loadServerKeys(plain.redis, { ...base, production: false, dataKey: GOOD_KEY });
      expect(await plain.redis.get(keys.jwks)).toMatch(/^sealed:/);
    } finally {
      await plain.close();
    }
  });
});

describe('HSTS', () => {
  let t: TestIdp;
  beforeAll(async () => { t = await startIdp({ data: null, overrides: { trustProxy: 1 } }); });
  afterAll(async () => t?.close());

  it('is on every response served over TLS (as the trusted proxy says), and only then', async () => {
    for (const path of ['/healthz', '/.well-known/openid-configuration', '/no-such-page']) {
      const tls = await fetch(`${t.url}${path}`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(tls.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect((await fetch(`${t.url}${path}`)).headers.get('strict-transport-security')).toBeNull();
    }
  });
});

describe.skipIf(!realRedis)('boot imports of processes starting together', () => {
  it('set each initial password once', async () => {
    const redisPrefix = uniquePrefix();
    const store = redisCluster ? { redisClusterNodes: redisCluster.split(',') } : { redisUrl };
    const a = await startIdp({ data: null, overrides: { redisPrefix, ...store } });
    const b = await startIdp({ data: null, overrides: { redisPrefix, issuer: a.issuer, ...store } });
    try {
      const data = (t: TestIdp) => parseImport(JSON.stringify(TEST_DATA), 'test-data', t.idp.services);
      const [sa, sb] = await Promise.all([applyImport(data(a), a.idp.services, a.idp.provider), applyImport(data(b), b.idp.services, b.idp.provider)]);
      // 2 citizens, the company's administrator (2 kinds), its default operator (2) and MARIO (2).
      expect(sa.passwordsSet + sb.passwordsSet).toBe(8);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
