// Starts real IdP instances for tests, on loopback, against the suite's Redis (see global-setup.ts).
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { createIdp, type Idp, type IdpOptions } from '../../src/app.ts';
import type { MethodModule } from '../../src/methods/method.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { freePort } from '../global-setup.ts';
import { TEST_DATA } from './data.ts';

export const redisUrl = inject('redisUrl');
export const realRedis = redisUrl !== '';

let counter = 0;
export function uniquePrefix(): string {
  counter += 1;
  return `t${process.pid}-${Date.now().toString(36)}-${counter}:`;
}

export function testConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, modules?: readonly MethodModule[]): Config {
  return loadConfig(env, {
    redisUrl: redisUrl || undefined,
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
