// Global setup of the `cluster` test project: a throwaway 3-master Redis Cluster on loopback ports.
// The same login, lockout, OTP, card, TOTP and refresh tests then run against it (test/helpers/idp.ts
// reads `redisCluster`).
import type { TestProject } from 'vitest/node';
import { haveRedis, startCluster } from './helpers/redis-topology.ts';

declare module 'vitest' {
  export interface ProvidedContext { redisCluster: string }
}

export default async function setup(project: TestProject) {
  if (!haveRedis || process.env.TEST_STORE === 'embedded') {
    console.log('tests: no redis-server/redis-cli: the cluster project runs on the suite\'s store');
    project.provide('redisCluster', '');
    return undefined;
  }
  const { topology, nodes } = await startCluster();
  console.log(`tests: throwaway Redis Cluster at ${nodes.join(', ')}`);
  project.provide('redisCluster', nodes.join(','));
  return () => topology.stop();
}
