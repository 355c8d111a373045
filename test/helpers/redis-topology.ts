// Throwaway Redis topologies on loopback ports, for the Cluster and Sentinel tests: real
// redis-server processes (and `redis-cli --cluster create`), ended by their pids.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../global-setup.ts';

export const haveRedis = spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout}${r.stderr}`;
}

/** The same without blocking the event loop (an IdP may run in the same process). */
export function cliAsync(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

/** Polls `check` until it holds, at most `ms` (a generous bound, not a timing assertion). */
export async function until(what: string, ms: number, check: () => boolean | Promise<boolean>, every = 100): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not so within ${ms} ms`);
    await sleep(every);
  }
}

export interface Node { port: number; child: ChildProcess }

export class Topology {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'idp-topology-'));
  readonly nodes: Node[] = [];

  async server(args: string[], port?: number): Promise<Node> {
    const p = port ?? (await freePort());
    const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--protected-mode', 'no', ...args], { stdio: 'ignore' });
    const node = { port: p, child };
    this.nodes.push(node);
    await waitForPort(p, 10_000);
    return node;
  }

  /** Ends one process (by its pid, SIGKILL: a crash). */
  kill(node: Node): void {
    node.child.kill('SIGKILL');
  }

  stop(): void {
    for (const n of this.nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Three masters, no replicas, all 16384 slots assigned. Resolves only when every node says
 * cluster_state:ok, knows the three, and sees all slots served (what a client's slot refresh and
 * ready check then find on whichever node it asks).
 */
export async function startCluster(): Promise<{ topology: Topology; nodes: string[] }> {
  const topology = new Topology();
  try {
    const masters: Node[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      masters.push(await topology.server(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '15000'], port));
    }
    const addresses = masters.map((m) => `127.0.0.1:${m.port}`);
    const created = await new Promise<{ ok: boolean; out: string }>((resolve) => {
      execFile('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` }));
    });
    if (!created.ok) throw new Error(`redis-cli --cluster create failed: ${created.out}`);
    await until('the cluster is ok on every node', 60_000, async () => {
      const infos = await Promise.all(masters.map((m) => cliAsync(m.port, 'cluster', 'info')));
      return infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes('cluster_known_nodes:3'));
    });
    return { topology, nodes: addresses };
  } catch (err) {
    topology.stop();
    throw err;
  }
}

/**
 * One master, `count` replicas and three sentinels watching it (quick failover: down after 1 s,
 * a failover attempt bounded to 4 s, then tried again).
 */
export async function startSentinels(master = 'idpmaster', count = 1): Promise<{ topology: Topology; master: Node; replicas: Node[]; sentinels: string[] }> {
  const topology = new Topology();
  try {
    const primary = await topology.server([]);
    const replicas: Node[] = [];
    for (let i = 0; i < count; i += 1) replicas.push(await topology.server(['--replicaof', '127.0.0.1', String(primary.port)]));
    const sentinels: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const conf = path.join(topology.dir, `sentinel-${port}.conf`);
      writeFileSync(conf, [
        `port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${topology.dir}`,
        `sentinel monitor ${master} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 4000`,
        `sentinel parallel-syncs ${master} 1`, '',
      ].join('\n'));
      const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
      topology.nodes.push({ port, child });
      await waitForPort(port, 10_000);
      sentinels.push(`127.0.0.1:${port}`);
    }
    await sentinelsSettled(master, replicas, sentinels);
    return { topology, master: primary, replicas, sentinels };
  } catch (err) {
    topology.stop();
    throw err;
  }
}

/**
 * Every replica has caught up, and every sentinel knows the other two and sees every replica
 * healthy (a failover needs a replica to promote and a majority of sentinels that know each other).
 */
export async function sentinelsSettled(master: string, replicas: Node[], sentinels: string[]): Promise<void> {
  const flat = (text: string) => text.replace(/\n/g, ' ');
  await until('the sentinels settle', 60_000, async () => {
    const links = await Promise.all(replicas.map((r) => cliAsync(r.port, 'info', 'replication')));
    if (!links.every((l) => l.includes('master_link_status:up'))) return false;
    const infos = await Promise.all(sentinels.map((s) => cliAsync(Number(s.split(':')[1]), 'sentinel', 'master', master)));
    const knows = (i: string) => /num-other-sentinels 2 /.test(flat(i)) && flat(i).includes(`num-slaves ${replicas.length} `);
    if (!infos.every(knows)) return false;
    const seen = await Promise.all(sentinels.map((s) => cliAsync(Number(s.split(':')[1]), 'sentinel', 'replicas', master)));
    return seen.every((r) => (flat(r).match(/flags\s+slave\s/g) ?? []).length === replicas.length);
  }, 200);
}
