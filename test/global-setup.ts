// Gives the suite a real Redis: a throwaway redis-server on a free loopback port when the binary is
// on PATH, else REDIS_URL, else the embedded store (said once, loudly).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext { redisUrl: string; redisKind: string }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until something listens on a loopback port (bounded). */
export async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** A throwaway redis-server on a free loopback port (and, when asked, a Unix socket as well). */
export async function startRedisServer(opts: { unixSocket?: boolean } = {}): Promise<{ url: string; socket?: string; pid: number; stop(): void } | undefined> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return undefined;
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-redis-'));
  const socket = opts.unixSocket ? path.join(dir, 'redis.sock') : undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (socket) args.push('--unixsocket', socket, '--unixsocketperm', '700');
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  await waitForPort(port, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    socket,
    pid: child.pid!,
    stop() { child.kill('SIGCONT'); child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); },
  };
}

export default async function setup(project: TestProject) {
  // TEST_STORE=embedded runs the suite on the embedded store, to check that fallback itself.
  const server = process.env.TEST_STORE === 'embedded' ? undefined : await startRedisServer();
  if (server) {
    console.log(`tests: throwaway redis-server at ${server.url}`);
    project.provide('redisUrl', server.url);
    project.provide('redisKind', 'redis-server');
    return () => server.stop();
  }
  if (process.env.REDIS_URL && process.env.TEST_STORE !== 'embedded') {
    console.log('tests: Redis at REDIS_URL');
    project.provide('redisUrl', process.env.REDIS_URL);
    project.provide('redisKind', 'REDIS_URL');
    return undefined;
  }
  console.log('tests: NO REDIS (no redis-server on PATH, REDIS_URL unset): running on the embedded store; multi-process tests are skipped');
  project.provide('redisUrl', '');
  project.provide('redisKind', 'embedded');
  return undefined;
}
