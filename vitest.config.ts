import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// The same login, lockout, OTP, card, TOTP and refresh tests run a second time against a
// throwaway 3-master Redis Cluster (project `cluster`, test/cluster-setup.ts).
const ON_CLUSTER = [
  'test/e2e/oidc-flow.test.ts',
  'test/integration/lockout.test.ts',
  'test/integration/otp.test.ts',
  'test/integration/card.test.ts',
  'test/integration/totp.test.ts',
  'test/integration/rate-limit.test.ts',
  'test/unit/hash-slots.test.ts',
];

// On by default; skipped (and said so) without redis-server and redis-cli, on the embedded store, or
// with TEST_TOPOLOGIES=0. The Sentinel test (test/integration/sentinel.test.ts) follows the same rule.
const haveRedis = spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status === 0;
const topologies = haveRedis && process.env.TEST_STORE !== 'embedded' && process.env.TEST_TOPOLOGIES !== '0';
if (!topologies && !process.env.VITEST_WORKER_ID) {
  console.log(`tests: the Redis Cluster project is skipped (${!haveRedis ? 'no redis-server/redis-cli on PATH' : process.env.TEST_STORE === 'embedded' ? 'TEST_STORE=embedded' : 'TEST_TOPOLOGIES=0'})`);
}

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'redis', include: ['test/**/*.test.ts'] } },
      ...(topologies
        ? [{ extends: true as const, test: { name: 'cluster', include: ON_CLUSTER, globalSetup: ['test/global-setup.ts', 'test/cluster-setup.ts'] } }]
        : []),
    ],
  },
});
