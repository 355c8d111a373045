// Starts real IdP instances for tests, on loopback, against the suite's Redis (see global-setup.ts).
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { createIdp, type Idp, type IdpOptions } from '../../src/app.ts';
import type { MethodModule } from '../../src/methods/method.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { freePort } from '../global-setup.ts';
import { TEST_DATA } from './data.ts';

export const redisUrl = inject('redisUrl');
/** Set in the `cluster` project (test/cluster-setup.ts): the suite's store is a Redis Cluster. */
export const redisCluster = inject('redisCluster') ?? '';
export const realRedis = redisUrl !== '' || redisCluster !== '';

/** Environment for a process (the CLI) that must reach the suite's store. */
export function storeEnv(): Record<string, string> {
  return redisCluster ? { REDIS_URL: '', REDIS_CLUSTER_NODES: redisCluster } : { REDIS_URL: redisUrl };
}

let counter = 0;
export function uniquePrefix(): string {
  counter += 1;
  return `t${process.pid}-${Date.now().toString(36)}-${counter}:`;
}

export function testConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, modules?: readonly MethodModule[]): Config {
  return loadConfig(env, {
    ...(redisCluster ? { redisClusterNodes: redisCluster.split(',') } : { redisUrl: redisUrl || undefined }),
    redisPrefix: uniquePrefix(),
    logLevel: 'silent',
    demo: false,
    host: '127.0.0.1',
    ...overrides,
  }, modules);
}

export interface TestIdp {
  idp: Idp;
  url: string;
  issuer: string;
  config: Config;
  close(): Promise<void>;
}

/** One IdP instance; pass the same redisPrefix and issuer to make a second process of one deployment. */
export async function startIdp(opts: { overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv; data?: unknown; options?: IdpOptions } = {}): Promise<TestIdp> {
  const port = await freePort();
  const config = testConfig({ port, issuer: `http://127.0.0.1:${port}`, ...opts.overrides }, opts.env, opts.options?.methods);
  const idp = await createIdp(config, opts.options);
  if (opts.data !== null) {
    const data = parseImport(JSON.stringify(opts.data ?? TEST_DATA), 'test-data', idp.services);
    await applyImport(data, idp.services, idp.provider);
  }
  const { url } = await idp.listen(port, '127.0.0.1');
  return { idp, url, issuer: config.issuer, config, close: () => idp.close() };
}
