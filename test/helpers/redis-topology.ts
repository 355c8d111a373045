// Throwaway Redis topologies on loopback ports, for the Cluster and Sentinel tests: real
// redis-server processes (and `redis-cli --cluster create`), ended by their pids.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../global-setup.ts';

export const haveRedis = spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on port ${port}`);
}

export function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout}${r.stderr}`;
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

/** Three masters, no replicas, all 16384 slots assigned; resolves when the cluster is ok. */
export async function startCluster(): Promise<{ topology: Topology; nodes: string[] }> {
  const topology = new Topology();
  try {
    const masters: Node[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      masters.push(await topology.server(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'], port));
    }
    const addresses = masters.map((m) => `127.0.0.1:${m.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (let i = 0; i < 200; i += 1) {
      const ok = masters.every((m) => {
        const info = cli(m.port, 'cluster', 'info');
        return info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes('cluster_known_nodes:3');
      });
      if (ok) return { topology, nodes: addresses };
      await sleep(100);
    }
    throw new Error('the cluster did not become ok');
  } catch (err) {
    topology.stop();
    throw err;
  }
}

/** One master, one replica and three sentinels watching it (quick failover). */
export async function startSentinels(master = 'idpmaster'): Promise<{ topology: Topology; master: Node; replica: Node; sentinels: string[] }> {
  const topology = new Topology();
  try {
    const primary = await topology.server([]);
    const replica = await topology.server(['--replicaof', '127.0.0.1', String(primary.port)]);
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
    // The replica has caught up and every sentinel knows the other two and the replica.
    for (let i = 0; i < 200; i += 1) {
      const synced = cli(replica.port, 'info', 'replication').includes('master_link_status:up');
      const known = sentinels.every((s) => {
        const info = cli(Number(s.split(':')[1]), 'sentinel', 'master', master).replace(/\n/g, ' ');
        // Each knows the two others and the replica (a failover needs a replica to promote).
        return /num-other-sentinels\s+2/.test(info) && /num-slaves\s+1/.test(info);
      });
      if (synced && known) return { topology, master: primary, replica, sentinels };
      await sleep(100);
    }
    throw new Error('the sentinels did not settle');
  } catch (err) {
    topology.stop();
    throw err;
  }
}
