// A bench phase run on its own (`npx tsx test/bench/<phase>-bench.ts [N]`): a throwaway Redis (or
// REDIS_URL), the phase's report printed.
export async function runStandalone(phase: (redisUrl: string, n: number) => Promise<string[]>, defaultN: number): Promise<void> {
  const { startRedisServer } = await import('../global-setup.ts');
  const redis = await startRedisServer();
  const url = redis?.url ?? process.env.REDIS_URL;
  if (!url) throw new Error('needs redis-server on PATH or REDIS_URL');
  try {
    console.log((await phase(url, Number(process.argv[2] ?? defaultN))).join('\n'));
  } finally {
    redis?.stop();
  }
}
