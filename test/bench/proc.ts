// What a process costs, read from /proc: CPU time of its threads, its memory, and who listens on a
// port (to check that the measured pid is the serving node process and not a wrapper around it).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** utime + stime of a process (all its threads), in ms, and its minor page faults. */
export function procUserSysMs(pid: number): { user: number; sys: number; minflt: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { user: (Number(f[11]) * 1000) / CLK_TCK, sys: (Number(f[12]) * 1000) / CLK_TCK, minflt: Number(f[7]) };
}

export function procCpuMs(pid: number): number {
  const { user, sys } = procUserSysMs(pid);
  return user + sys;
}

/** Nanoseconds on CPU (schedstat: exact, not in ticks) of the main thread and of the other threads. */
export function threadNs(pid: number): { main: number; others: number } {
  const out = { main: 0, others: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (tid === String(pid)) out.main += ns; else out.others += ns;
    } catch { /* thread ended */ }
  }
  return out;
}

/** Whole machine, from /proc/stat: busy time in ms (all CPUs together). */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = f;
  return ((user + nice + system + irq + softirq) * 1000) / CLK_TCK;
}

/** Resident memory now and its high-water mark, in MiB (/proc/PID/status VmRSS, VmHWM). */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

export interface Cpu { total: number; main: number; others: number; redis: number; self: number; busy: number; at: number }

/**
 * CPU counters (ms) of one server (its threads, from schedstat: exact, not in ticks), of redis, of this
 * process and of the machine.
 */
export function cpuSnapshot(pid: number, redisPid: number | undefined): Cpu {
  const ns = threadNs(pid);
  const self = process.cpuUsage();
  let redis = NaN;
  if (redisPid) { try { const r = threadNs(redisPid); redis = (r.main + r.others) / 1e6; } catch { /* gone */ } }
  return { total: (ns.main + ns.others) / 1e6, main: ns.main / 1e6, others: ns.others / 1e6, redis, self: (self.user + self.system) / 1000, busy: machineBusyMs(), at: performance.now() };
}

export function cpuDelta(a: Cpu, b: Cpu): Cpu {
  return {
    total: b.total - a.total, main: b.main - a.main, others: b.others - a.others, redis: b.redis - a.redis,
    self: b.self - a.self, busy: b.busy - a.busy, at: b.at - a.at,
  };
}

/** Inodes of the sockets listening on a loopback TCP port. */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (cols[1]!.endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]!); // 0A: LISTEN
    }
  }
  return inodes;
}

function ownsSocket(pid: number, inodes: Set<string>): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return !!m && inodes.has(m[1]!);
      } catch { return false; }
    });
  } catch { return false; }
}

/** The pid of the (own-user) process listening on a port, e.g. the throwaway redis-server. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (!inodes.size) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && ownsSocket(Number(entry), inodes)) return Number(entry);
  }
  return undefined;
}

/** Checks that pid is the node process running `entry` and listening on port (not a wrapper). */
export function verifyServingPid(pid: number, port: number, entry: string): void {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (!cmdline.some((a) => a.endsWith(entry))) throw new Error(`pid ${pid} does not run ${entry}: ${cmdline.join(' ')}`);
  const exe = readlinkSync(`/proc/${pid}/exe`);
  if (!/node/.test(path.basename(exe))) throw new Error(`pid ${pid} runs ${exe}, not node`);
  const inodes = listeningInodes(port);
  if (!inodes.size) throw new Error(`nothing listens on port ${port}`);
  if (!ownsSocket(pid, inodes)) throw new Error(`pid ${pid} does not own the socket listening on port ${port}`);
}
