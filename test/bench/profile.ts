// --cpu-prof: the V8 profile a server wrote when it exited, summarised by package and by function.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }

type Prof = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };

/** The main thread's profile in `dir`: one file per thread (with tsx, the module loader runs in a worker thread), the busiest. */
function busiestProfile(dir: string): { file: string; prof: Prof } | undefined {
  const busy = (p: Prof) => {
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    return p.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : p.timeDeltas[i] ?? 0), 0);
  };
  const loaded = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ file: path.join(dir, f), prof: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Prof }));
  return loaded.map((l) => ({ ...l, busy: busy(l.prof) })).sort((a, b) => b.busy - a.busy)[0];
}

/** A function as the summaries name it: its name and where it is (its package's path, or ours from the root). */
function functionKey({ functionName, url, lineNumber }: ProfileNode['callFrame'], root: string): string {
  const short = url.replace(/^file:\/\//, '').replace(root, '').replace(/^.*node_modules\//, '');
  return `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
}

export function summariseProfile(dir: string, root: string): string[] {
  const found = busiestProfile(dir);
  if (!found) return [`no .cpuprofile in ${dir} (the provider did not exit cleanly?)`];
  const { file, prof } = found;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const idleIds = new Set(prof.nodes.filter((n) => ['(idle)', '(program)'].includes(n.callFrame.functionName)).map((n) => n.id));
  for (const id of idleIds) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const where = (url: string) => {
    if (!url) return '(native/V8)';
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1]!;
    if (url.startsWith('node:')) return 'node core';
    const rel = url.replace(/^file:\/\//, '').replace(root, '');
    return rel.split('/').slice(0, 2).join('/');
  };
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url } = n.callFrame;
    const key = functionKey(n.callFrame, root);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const p = functionName === '(garbage collector)' ? functionName : where(url);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`profile ${path.relative(root, file)}: ${(total / 1e6).toFixed(1)} s of busy main-thread samples over the provider's whole life (startup included; percentages of busy time)`];
  lines.push('  by package / source dir (self time):');
  for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`    ${pct(v)}  ${k}`);
  lines.push('  top functions (self time):');
  for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`    ${pct(v)}  ${k}`);
  return lines;
}

/** A request of the steps phase: its label and when it was in flight (process.hrtime, ns). */
export interface RequestWindow { label: string; start: bigint; end: bigint }

/**
 * The main-thread samples taken while each kind of request was in flight (the steps phase: one
 * request at a time), by function, per request: V8 stamps samples with the same monotonic clock as
 * process.hrtime.
 */
export function profileByRequest(dir: string, root: string, windows: RequestWindow[], perLabel: number, top = 12): string[] {
  const prof = busiestProfile(dir)?.prof;
  if (!prof) return [];
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const sorted = [...windows].filter((w) => w.end > 0n).sort((a, b) => (a.start < b.start ? -1 : 1));
  const per = new Map<string, Map<string, number>>();
  let t = prof.startTime; // µs
  let w = 0;
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0;
    const ns = BigInt(Math.round(t)) * 1000n;
    while (w < sorted.length && sorted[w]!.end < ns) w += 1;
    const win = sorted[w];
    if (!win || ns < win.start) return;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
    const key = functionKey(frame, root);
    let m = per.get(win.label);
    if (!m) per.set(win.label, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const lines = [`main-thread samples per request (steps phase, µs per request, top ${top} functions by self time)`];
  for (const [label, m] of [...per].sort((a, b) => a[0].localeCompare(b[0]))) {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    lines.push(`  ${label}: ${(total / perLabel).toFixed(0)} µs sampled`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${(v / perLabel).toFixed(1).padStart(7)}  ${k}`);
  }
  return lines;
}
