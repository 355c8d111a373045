// `npm run bench [-- --concurrency 8 --seconds 15 ...]`: how many password logins (and refresh-token
// grants) one provider process serves per second and per core, measured end to end on loopback.
//
// A throwaway redis-server and the provider run as separate processes; the provider is spawned as
// `node dist/src/main.js` (the compiled build, as `npm start` and production run it; built first
// when stale) or, with --runtime tsx, `node --import tsx src/main.ts`, with no wrapper in between,
// so its CPU time can be read from /proc/<pid>/stat.
// The load client is this process: node:http with keep-alive, a tiny cookie jar, regexes instead of
// an HTML parser, so that it takes as little CPU as possible away from the provider.
//
// Phases (--phases): warm-up and measured logins (login) → Argon2id verify-only rate in this process,
// the provider idle (argon) → refresh-token grants (refresh) → the cheapest requests, as a floor
// (floor) → one user, the provider's CPU read around each request of a login (steps). The login
// target compares the provider's CPU per login with the CPU of one Argon2id verify, the part of a
// login that cannot be made cheaper. Exit status: 0 whether or not targets are met, 1 when a login
// (or a refresh grant) fails or the bench cannot run.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import { DEFAULTS } from '../../src/config.ts';
import { isValidFiscalCode } from '../../src/accounts/fiscal-code.ts';
import { freePort, startRedisServer } from '../global-setup.ts';
import { passkeyBench } from './passkey-bench.ts';
import { LIMITER_TARGET_MS, limiterCpuPerLogin } from './limiter-cost.ts';
import { certificateBenchData, CERTIFICATE_PROVIDER_ENV, certificateLoginFigure, closeCertificateBench } from './certificate-login.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CALLBACK = 'http://127.0.0.1:9/cb';
const CLIENT_ID = 'bench';
const CLIENT_SECRET = 'bench-secret-0123456789abcdef';
const PASSWORD = 'Bench-Pass-1';
const TARGET_LOGIN_RATIO = 0.75;
const TARGET_REFRESH_PER_CORE_S = 600;

// ---------------------------------------------------------------------------------------------
// Options

const { values: opt } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '15' },
    'warmup-seconds': { type: 'string', default: '3' },
    'argon-seconds': { type: 'string', default: '5' },
    'refresh-seconds': { type: 'string', default: '8' },
    'max-logins': { type: 'string', default: '20000' },
    'max-refresh': { type: 'string', default: '200000' },
    citizens: { type: 'string', default: '20' },
    phases: { type: 'string', default: 'login,argon,refresh,floor,steps,passkey,loa3,payment' },
    'cpu-prof': { type: 'boolean', default: false },
    production: { type: 'boolean', default: false },
    runtime: { type: 'string', default: 'compiled' },
    'id-token-alg': { type: 'string', default: 'RS256' },
    'redis-socket': { type: 'boolean', default: false },
    'provider-env': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (opt.help) {
  console.log(`usage: npm run bench -- [--concurrency 8] [--seconds 15] [--warmup-seconds 3] [--argon-seconds 5]
       [--refresh-seconds 8] [--max-logins 20000] [--max-refresh 200000] [--citizens 20]
       [--phases login,argon,refresh,floor,steps,passkey,loa3,payment] [--cpu-prof] [--production] [--id-token-alg RS256] [--redis-socket]
       [--runtime compiled|tsx]
  --runtime          compiled: node dist/src/main.js, as npm start runs it (built first when stale; the default);
                     tsx: node --import tsx src/main.ts, from the sources
  --cpu-prof         V8 profile of the provider's main thread, summarised at the end (use with --phases)
  --production       run the provider in production mode (IDP_PRODUCTION=1, a random DATA_KEY)
  --id-token-alg     the bench client's id_token_signed_response_alg (e.g. ES256: what RSA signing costs)
  --redis-socket     the provider reaches Redis over a Unix socket (REDIS_URL=unix:...), as with a co-located Redis
  --provider-env K=V an extra environment variable for the provider (repeatable), e.g. UV_THREADPOOL_SIZE=2`);
  process.exit(0);
}

function intOpt(name: keyof typeof opt, min: number): number {
  const raw = String(opt[name]);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: --${name} must be an integer >= ${min} (got ${raw})`);
    process.exit(2);
  }
  return n;
}

const C = intOpt('concurrency', 1);
const SECONDS = intOpt('seconds', 1);
const WARMUP_SECONDS = intOpt('warmup-seconds', 0);
const ARGON_SECONDS = intOpt('argon-seconds', 1);
const REFRESH_SECONDS = intOpt('refresh-seconds', 1);
const MAX_LOGINS = intOpt('max-logins', 1);
const MAX_REFRESH = intOpt('max-refresh', 1);
const CITIZENS = intOpt('citizens', 1);
if (opt.runtime !== 'compiled' && opt.runtime !== 'tsx') {
  console.error(`bench: --runtime must be compiled or tsx (got ${opt.runtime})`);
  process.exit(2);
}
const PROVIDER_MAIN = opt.runtime === 'compiled' ? path.join('dist', 'src', 'main.js') : path.join('src', 'main.ts');
const PHASES = new Set(String(opt.phases).split(',').map((s) => s.trim()).filter(Boolean));
for (const p of PHASES) {
  if (!['login', 'argon', 'refresh', 'floor', 'steps', 'passkey', 'loa3', 'payment'].includes(p)) { console.error(`bench: unknown phase ${p}`); process.exit(2); }
}

// ---------------------------------------------------------------------------------------------
// Bench data: one first-party confidential client and N citizens with valid fiscal codes.

const ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
function checkChar(first15: string): string {
  let sum = 0;
  for (let i = 0; i < 15; i += 1) {
    const c = first15.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 65;
    sum += i % 2 === 0 ? ODD[v]! : v;
  }
  return String.fromCharCode(65 + (sum % 26));
}

function fiscalCodes(n: number): string[] {
  const months = 'ABCDEHLMPRST';
  const out: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const year = String(i % 100).padStart(2, '0');
    const month = months[Math.floor(i / 100) % 12]!;
    const day = String(1 + (Math.floor(i / 1200) % 28)).padStart(2, '0');
    const body = `BNCTST${year}${month}${day}H501`;
    const code = body + checkChar(body);
    if (!isValidFiscalCode(code)) throw new Error(`generated an invalid fiscal code ${code}`);
    out.push(code);
  }
  if (new Set(out).size !== out.length) throw new Error('generated duplicate fiscal codes (too many citizens)');
  return out;
}

function writeBenchData(file: string, codes: string[]): void {
  const data = {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post',
      first_party: true,
      ...(opt['id-token-alg'] !== 'RS256' ? { id_token_signed_response_alg: opt['id-token-alg'] } : {}),
    }],
    citizens: codes.map((fiscal_code, i) => ({
      fiscal_code, password: PASSWORD, must_change: false, given_name: 'Bench', family_name: `User ${i + 1}`,
    })),
    // loa3 phase: a company whose operators log in with certificates (test/bench/certificate-login.ts).
    ...(PHASES.has('loa3') ? { companies: [certificateBenchData(C)] } : {}),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Processes: redis-server, provider; /proc accounting.

const cleanups: (() => void | Promise<void>)[] = [];
/** Set by SIGINT/SIGTERM: the load stops, nothing more is reported, the processes are stopped. */
let interrupted = false;
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try { await cleanups.pop()!(); } catch { /* best effort */ }
  }
}

const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
})();

/** utime + stime of a process (all its threads), in ms. */
function procCpuMs(pid: number): number {
  const { user, sys } = procUserSysMs(pid);
  return user + sys;
}

function procUserSysMs(pid: number): { user: number; sys: number; minflt: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { user: (Number(f[11]) * 1000) / CLK_TCK, sys: (Number(f[12]) * 1000) / CLK_TCK, minflt: Number(f[7]) };
}

/** CPU ms (user + kernel, and kernel alone) of the main (JS) thread and of all the other threads
 *  (libuv pool: Argon2, WebCrypto signatures; V8 GC and compiler threads). */
function threadCpuMs(pid: number): { main: number; mainSys: number; others: number; othersSys: number } {
  const out = { main: 0, mainSys: 0, others: 0, othersSys: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const user = (Number(f[11]) * 1000) / CLK_TCK;
      const sys = (Number(f[12]) * 1000) / CLK_TCK;
      if (tid === String(pid)) { out.main += user + sys; out.mainSys += sys; } else { out.others += user + sys; out.othersSys += sys; }
    } catch { /* thread ended */ }
  }
  return out;
}

/** Nanoseconds on CPU (schedstat: exact, not in ticks) of the main thread and of the other threads. */
function threadNs(pid: number): { main: number; others: number } {
  const out = { main: 0, others: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (tid === String(pid)) out.main += ns; else out.others += ns;
    } catch { /* thread ended */ }
  }
  return out;
}

/** Whole machine, from /proc/stat: busy and steal time in ms (all CPUs together). */
function machineCpuMs(): { busy: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return { busy: ((user + nice + system + irq + softirq) * 1000) / CLK_TCK, steal: (steal * 1000) / CLK_TCK };
}

interface Cpu { provider: number; providerSys: number; faults: number; main: number; mainSys: number; others: number; othersSys: number; redis: number; self: number; busy: number; steal: number; at: number }

/** CPU counters (ms) of the provider (all threads, main JS thread, others), redis, this process, the machine. */
function cpuSnapshot(providerPid: number, redisPid: number | undefined): Cpu {
  const threads = threadCpuMs(providerPid);
  const self = process.cpuUsage();
  let redis = NaN;
  if (redisPid) { try { redis = procCpuMs(redisPid); } catch { /* gone */ } }
  const p = procUserSysMs(providerPid);
  return {
    provider: p.user + p.sys, providerSys: p.sys, faults: p.minflt, ...threads,
    redis, self: (self.user + self.system) / 1000, ...machineCpuMs(), at: performance.now(),
  };
}

function cpuDelta(a: Cpu, b: Cpu): Cpu {
  return {
    provider: b.provider - a.provider, providerSys: b.providerSys - a.providerSys, faults: b.faults - a.faults, main: b.main - a.main, mainSys: b.mainSys - a.mainSys,
    others: b.others - a.others, othersSys: b.othersSys - a.othersSys, redis: b.redis - a.redis,
    self: b.self - a.self, busy: b.busy - a.busy, steal: b.steal - a.steal, at: b.at - a.at,
  };
}

/** Cores used by processes other than the bench's own (provider, redis, this one), per phase. */
const foreignLoad: { phase: string; cores: number }[] = [];

/** Report lines: CPU per operation of each party, and how busy the machine was. */
function cpuLines(d: Cpu, ops: number, what: string, cores: number): string[] {
  const ours = d.provider + (Number.isFinite(d.redis) ? d.redis : 0) + d.self;
  foreignLoad.push({ phase: `${what}s`, cores: (d.busy - ours) / d.at });
  const per = (ms: number) => fmt(ms / ops, 2);
  const busyCores = (ms: number) => fmt(ms / d.at, 2);
  return [
    `  provider CPU ms per ${what.padEnd(10)}  ${per(d.provider)}  (of which kernel ${per(d.providerSys)}; ${fmt(d.faults / ops, 0)} page faults per ${what})`,
    `    main JS thread               ${per(d.main)}  (kernel ${per(d.mainSys)})`,
    `    other threads                ${per(d.others)}  (kernel ${per(d.othersSys)}; libuv pool: Argon2, WebCrypto signing; V8 GC/compiler)`,
    `  other CPU ms per ${what.padEnd(10)}     redis ${per(d.redis)}, bench client ${per(d.self)}`,
    `  cores busy                     provider ${busyCores(d.provider)}, redis ${busyCores(d.redis)}, client ${busyCores(d.self)}, machine ${busyCores(d.busy)} of ${cores} (steal ${busyCores(d.steal)})`,
  ];
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
function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (!inodes.size) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && ownsSocket(Number(entry), inodes)) return Number(entry);
  }
  return undefined;
}

/** Checks that pid is the node process listening on port (and not a wrapper around it). */
function verifyServingPid(pid: number, port: number): void {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (!cmdline.some((a) => a.endsWith(PROVIDER_MAIN))) throw new Error(`pid ${pid} is not the provider: ${cmdline.join(' ')}`);
  const exe = readlinkSync(`/proc/${pid}/exe`);
  if (!/node/.test(path.basename(exe))) throw new Error(`pid ${pid} runs ${exe}, not node`);
  const inodes = listeningInodes(port);
  if (!inodes.size) throw new Error(`nothing listens on port ${port}`);
  if (!ownsSocket(pid, inodes)) throw new Error(`pid ${pid} does not own the socket listening on port ${port}`);
}

/** Calls per Redis command so far (INFO commandstats; server-wide). */
async function redisCalls(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const info = await redis.info('commandstats');
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

function redisLines(a: Map<string, number>, b: Map<string, number>, ops: number, what: string): string[] {
  const d = [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  const total = d.reduce((sum, [k, v]) => sum + (k === 'info' ? 0 : v), 0);
  return [`  redis commands per ${what.padEnd(10)} ${fmt(total / ops, 1)}  (${d.filter(([k]) => k !== 'info').slice(0, 10).map(([k, v]) => `${k} ${fmt(v / ops, 1)}`).join(', ')})`];
}

interface Provider { child: ChildProcess; pid: number; issuer: string; port: number; profDir?: string; tail: string[] }

async function startProvider(redisUrl: string, dataFile: string, profDir?: string): Promise<Provider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const args = [
    ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    ...(opt.runtime === 'tsx' ? ['--import', 'tsx'] : []), PROVIDER_MAIN, '--import', dataFile,
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development',
    REDIS_URL: redisUrl, REDIS_PREFIX: 'bench:', PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer,
    DEMO: '0', LOG_LEVEL: 'warn',
    ...(PHASES.has('loa3') ? CERTIFICATE_PROVIDER_ENV : {}),
    // --production: production mode (cached templates...), which wants DATA_KEY from the environment.
    ...(opt.production ? { IDP_PRODUCTION: '1', DATA_KEY: randomBytes(32).toString('hex') } : {}),
  };
  for (const kv of opt['provider-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new BenchError(`--provider-env ${kv}: expected NAME=value`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => { exited = `exited (${signal ?? code})`; });
  cleanups.push(() => stopChild(child));
  const pid = child.pid!;

  const until = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`provider ${exited} before answering:\n${tail.join('\n')}`);
    if (Date.now() > until) throw new Error(`provider did not answer within 60 s:\n${tail.join('\n')}`);
    try {
      const res = await request('GET', `${issuer}/.well-known/openid-configuration`);
      if (res.status === 200) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
  verifyServingPid(pid, port);
  return { child, pid, issuer, port, profDir, tail };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// HTTP: keep-alive node:http, a tiny cookie jar, latency per request.

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(16, C * 2) });

interface Res { status: number; location?: string; setCookie: string[]; body: string }

function request(method: string, url: string, opts: { body?: string; cookie?: string; accept?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1') { reject(new Error(`refusing a non-loopback target: ${url}`)); return; }
    const headers: Record<string, string> = { accept: opts.accept ?? 'text/html', 'accept-language': 'en' };
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const req = http.request({ agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const sc = res.headers['set-cookie'];
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          setCookie: sc ?? [],
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Cookies of one origin, by name and path; enough for oidc-provider's and our cookies. */
class Jar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(setCookies: string[]): void {
    for (const sc of setCookies) {
      const parts = sc.split(';');
      const eq = parts[0]!.indexOf('=');
      const name = parts[0]!.slice(0, eq).trim();
      const value = parts[0]!.slice(eq + 1).trim();
      let cpath = '/';
      let expired = false;
      for (const attr of parts.slice(1)) {
        const [k, v = ''] = attr.split('=');
        const key = k!.trim().toLowerCase();
        if (key === 'path') cpath = v.trim() || '/';
        else if (key === 'max-age' && Number(v) <= 0) expired = true;
        else if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name}\0${cpath}`;
      if (expired || value === '') this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path: cpath });
    }
  }

  header(urlPath: string): string {
    const out: string[] = [];
    for (const c of this.cookies.values()) {
      if (urlPath === c.path || urlPath.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)) out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }
}

class Stats {
  readonly latency = new Map<string, number[]>();
  requests = 0;

  add(label: string, ms: number): void {
    let list = this.latency.get(label);
    if (!list) this.latency.set(label, (list = []));
    list.push(ms);
    this.requests += 1;
  }

  all(): number[] {
    return [...this.latency.values()].flat();
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------
// One login and one refresh grant, as a relying party plus browser would do them.

interface Endpoints { authorization: string; token: string }
interface LoginResult { refreshToken?: string }

class BenchError extends Error {}

/** Set during the one-user "steps" phase: the provider's CPU is read around every request. */
let probe: { pid: number; cpu: Map<string, { main: number; others: number; n: number }> } | undefined;

async function timed(stats: Stats | undefined, label: string, jar: Jar | undefined, method: string, url: string, body?: string, accept?: string): Promise<Res> {
  const before = probe ? threadNs(probe.pid) : undefined;
  const t0 = performance.now();
  const res = await request(method, url, { body, cookie: jar?.header(new URL(url).pathname), accept });
  stats?.add(label, performance.now() - t0);
  if (probe && before) {
    const after = threadNs(probe.pid);
    let acc = probe.cpu.get(label);
    if (!acc) probe.cpu.set(label, (acc = { main: 0, others: 0, n: 0 }));
    acc.main += after.main - before.main;
    acc.others += after.others - before.others;
    acc.n += 1;
  }
  jar?.store(res.setCookie);
  return res;
}

/** Follows same-origin redirects; stops at a page or at the callback. */
async function follow(stats: Stats | undefined, labels: string[], jar: Jar, first: Res, from: string, issuer: string): Promise<{ res: Res; url: string; callback?: string }> {
  let res = first;
  let url = from;
  for (let hop = 0; res.status >= 300 && res.status < 400; hop += 1) {
    if (hop >= 10) throw new BenchError(`too many redirects from ${from}`);
    if (!res.location) throw new BenchError(`redirect without Location from ${url}`);
    const next = new URL(res.location, url).href;
    if (next.startsWith(`${CALLBACK}?`)) return { res, url, callback: next };
    if (!next.startsWith(`${issuer}/`)) throw new BenchError(`unexpected redirect to ${next}`);
    url = next;
    res = await timed(stats, labels[hop] ?? 'redirect', jar, 'GET', url);
  }
  return { res, url };
}

function formOf(page: string, field: string, where: string): { action: string; csrf: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!action || !csrf || !page.includes(`name="${field}"`)) throw new BenchError(`${where}: no form with ${field}: ${excerpt(page)}`);
  return { action: action.replace(/&amp;/g, '&'), csrf };
}

const b64url = (buf: Buffer) => buf.toString('base64url');

/** What a page says, in short: its alert, else its title, else the start of its text. */
function excerpt(body: string): string {
  const pick = (re: RegExp) => re.exec(body)?.[1]?.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
  return pick(/role="alert"[^>]*>([\s\S]*?)<\//) || pick(/<h1[^>]*>([\s\S]*?)<\/h1>/) || body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

async function login(issuer: string, ep: Endpoints, fiscalCode: string, stats?: Stats): Promise<LoginResult> {
  const jar = new Jar();
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const auth = `${ep.authorization}?${new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', state, nonce,
  })}`;

  const first = await timed(stats, '1 GET /auth', jar, 'GET', auth);
  const identify = await follow(stats, ['2 GET /interaction (identify page)'], jar, first, auth, issuer);
  if (identify.callback || identify.res.status !== 200) throw new BenchError(`authorize: expected the identify page, got ${identify.res.status} ${identify.callback ?? excerpt(identify.res.body)}`);
  const f1 = formOf(identify.res.body, 'fiscal_code', 'identify page');
  const idUrl = new URL(f1.action, identify.url).href;
  let afterPw: Awaited<ReturnType<typeof timed>>;
  let pwUrl: string;
  if (/name="password"/.test(identify.res.body)) {
    // User and password on one page, as a person fills it in: one post.
    pwUrl = idUrl;
    afterPw = await timed(stats, '3 POST identify + password', jar, 'POST', idUrl, new URLSearchParams({ csrf: f1.csrf, fiscal_code: fiscalCode, password: PASSWORD }).toString());
  } else {
    const afterId = await timed(stats, '3 POST identify', jar, 'POST', idUrl, new URLSearchParams({ csrf: f1.csrf, fiscal_code: fiscalCode }).toString());
    const pwdPage = await follow(stats, ['4 GET /interaction (password page)'], jar, afterId, idUrl, issuer);
    if (pwdPage.callback || pwdPage.res.status !== 200) throw new BenchError(`identify: expected the password page, got ${pwdPage.res.status}: ${pwdPage.callback ?? excerpt(pwdPage.res.body)}`);
    const f2 = formOf(pwdPage.res.body, 'password', 'password page');
    pwUrl = new URL(f2.action, pwdPage.url).href;
    afterPw = await timed(stats, '5 POST password', jar, 'POST', pwUrl, new URLSearchParams({ csrf: f2.csrf, password: PASSWORD }).toString());
  }
  const done = await follow(stats, ['6 GET /auth/:uid (resume)', '6b redirect'], jar, afterPw, pwUrl, issuer);
  if (!done.callback) throw new BenchError(`password: the flow did not reach the callback (${done.res.status} at ${done.url}): ${excerpt(done.res.body)}`);

  const cb = new URL(done.callback).searchParams;
  if (cb.get('error')) throw new BenchError(`callback error: ${cb.get('error')} ${cb.get('error_description') ?? ''}`);
  if (cb.get('state') !== state) throw new BenchError('callback: state mismatch');
  const code = cb.get('code');
  if (!code) throw new BenchError(`callback without code: ${done.callback}`);

  const tokenRes = await timed(stats, '7 POST /token (code)', undefined, 'POST', ep.token, new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier,
    client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
  }).toString(), 'application/json');
  if (tokenRes.status !== 200) throw new BenchError(`token: ${tokenRes.status} ${tokenRes.body.slice(0, 300)}`);
  const tokens = JSON.parse(tokenRes.body) as { id_token?: string; refresh_token?: string };
  if (!tokens.id_token) throw new BenchError(`token response without id_token: ${tokenRes.body.slice(0, 300)}`);
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { nonce?: string };
  if (claims.nonce !== nonce) throw new BenchError('id_token: nonce mismatch');
  return { refreshToken: tokens.refresh_token };
}

async function refresh(ep: Endpoints, refreshToken: string, stats?: Stats): Promise<string> {
  const res = await timed(stats, 'POST /token (refresh)', undefined, 'POST', ep.token, new URLSearchParams({
    grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
  }).toString(), 'application/json');
  if (res.status !== 200) throw new BenchError(`refresh: ${res.status} ${res.body.slice(0, 300)}`);
  const tokens = JSON.parse(res.body) as { access_token?: string; refresh_token?: string };
  if (!tokens.access_token) throw new BenchError(`refresh response without access_token: ${res.body.slice(0, 300)}`);
  return tokens.refresh_token ?? refreshToken;
}

/** C virtual users run `task` until the deadline or the cap; the first error stops everyone. */
async function runLoad(concurrency: number, seconds: number, cap: number, task: (vu: number, i: number) => Promise<void>) {
  const deadline = performance.now() + seconds * 1000;
  let started = 0;
  let completed = 0;
  let firstError: unknown;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, vu) => {
    while (!interrupted && firstError === undefined && started < cap && performance.now() < deadline) {
      const i = started;
      started += 1;
      try {
        await task(vu, i);
        completed += 1;
      } catch (err) {
        firstError ??= err;
      }
    }
  }));
  return { completed, elapsedS: (performance.now() - t0) / 1000, firstError };
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary (main JS thread of the provider only: Argon2 runs on libuv threads).

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }

function summariseProfile(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return [`no .cpuprofile in ${dir} (the provider did not exit cleanly?)`];
  // One file per thread (with tsx, the module loader runs in a worker thread): keep the busiest.
  type Prof = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const busy = (p: Prof) => {
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    return p.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : p.timeDeltas[i] ?? 0), 0);
  };
  const loaded = files.map((f) => ({ file: path.join(dir, f), prof: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Prof }));
  const { file, prof } = loaded.map((l) => ({ ...l, busy: busy(l.prof) })).sort((a, b) => b.busy - a.busy)[0]!;
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
    const rel = url.replace(/^file:\/\//, '').replace(ROOT, '');
    return rel.split('/').slice(0, 2).join('/');
  };
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url.replace(/^file:\/\//, '').replace(ROOT, '').replace(/^.*node_modules\//, '');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const p = functionName === '(garbage collector)' ? functionName : where(url);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`profile ${path.relative(ROOT, file)}: ${(total / 1e6).toFixed(1)} s of busy main-thread samples over the provider's whole life (startup included; percentages of busy time)`];
  lines.push('  by package / source dir (self time):');
  for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`    ${pct(v)}  ${k}`);
  lines.push('  top functions (self time):');
  for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`    ${pct(v)}  ${k}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const mark = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

async function main(): Promise<number> {
  const cores = os.availableParallelism();
  console.log(`bench: ${cores} cores, concurrency ${C}, provider ${opt.runtime === 'tsx' ? 'from the sources under tsx' : 'compiled (dist/)'}, ${opt.production ? 'production mode, ' : ''}ID tokens ${opt['id-token-alg']}, ${(opt['provider-env'] ?? []).map((kv) => `${kv}, `).join('')}login ${SECONDS} s (warm-up ${WARMUP_SECONDS} s, cap ${MAX_LOGINS}), argon ${ARGON_SECONDS} s, refresh ${REFRESH_SECONDS} s, ${CITIZENS} citizens, CLK_TCK ${CLK_TCK}`);

  if (opt.runtime === 'compiled' && spawnSync(process.execPath, [path.join('scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
    console.error('bench: the build failed');
    return 1;
  }

  let redisUrl: string;
  const redis = await startRedisServer({ unixSocket: opt['redis-socket'] });
  if (redis) {
    cleanups.push(() => redis.stop());
    redisUrl = redis.url;
    console.log(`bench: throwaway redis-server at ${redisUrl}`);
  } else if (process.env.REDIS_URL) {
    redisUrl = process.env.REDIS_URL;
    const host = new URL(redisUrl).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      console.error(`bench: REDIS_URL points at ${host}; the bench only uses a loopback Redis`);
      return 1;
    }
    console.log('bench: no redis-server on PATH, using REDIS_URL (keys under bench:)');
  } else {
    console.error('bench: needs Redis: install redis-server (it is started on a free loopback port) or set REDIS_URL to a loopback Redis');
    return 1;
  }

  const dataFile = path.join(ROOT, 'var', 'bench', 'bench-data.json');
  const codes = fiscalCodes(CITIZENS);
  writeBenchData(dataFile, codes);
  const profDir = opt['cpu-prof'] ? path.join(ROOT, 'var', 'bench', `prof-${Date.now()}`) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });

  const t0 = performance.now();
  const redisPort = Number(new URL(redisUrl).port || 6379);
  const redisPid = pidListeningOn(redisPort);
  const redisAdmin = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redisAdmin.connect();
  cleanups.push(() => { redisAdmin.disconnect(); });
  // --redis-socket: the provider reaches Redis over a Unix socket (a co-located Redis), the bench
  // itself still over loopback TCP.
  const providerRedis = opt['redis-socket'] && redis?.socket ? `unix:${redis.socket}` : redisUrl;
  if (providerRedis !== redisUrl) console.log(`bench: the provider uses Redis at ${providerRedis}`);
  const provider = await startProvider(providerRedis, path.relative(ROOT, dataFile), profDir);
  console.log(`bench: provider pid ${provider.pid} (verified: node serving ${provider.issuer}) ready in ${fmt((performance.now() - t0) / 1000)} s`);
  const disco = JSON.parse((await request('GET', `${provider.issuer}/.well-known/openid-configuration`, { accept: 'application/json' })).body) as Record<string, string>;
  const ep: Endpoints = { authorization: disco.authorization_endpoint!, token: disco.token_endpoint! };

  const report: string[] = [];
  let failed = false;
  const who = (i: number) => codes[i % codes.length]!;

  // Logins ------------------------------------------------------------------------------------
  let cpuPerLogin = NaN;
  let loginsPerS = NaN;
  let loginP50 = NaN;
  let loginP99 = NaN;
  if (PHASES.has('login')) {
    if (WARMUP_SECONDS > 0) {
      const w = await runLoad(C, WARMUP_SECONDS, MAX_LOGINS, async (_vu, i) => { await login(provider.issuer, ep, who(i)); });
      if (w.firstError) {
        if (interrupted) return 130;
        const e = w.firstError;
        console.error(`bench: a warm-up login failed: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}`);
        return 1;
      }
      console.log(`bench: warm-up: ${w.completed} logins`);
    }
    const stats = new Stats();
    const calls0 = await redisCalls(redisAdmin);
    const cpu0 = cpuSnapshot(provider.pid, redisPid);
    const r = await runLoad(C, SECONDS, MAX_LOGINS, async (_vu, i) => { await login(provider.issuer, ep, who(i), stats); });
    const cpu = cpuDelta(cpu0, cpuSnapshot(provider.pid, redisPid));
    const calls = await redisCalls(redisAdmin);
    const providerCpu = cpu.provider;
    if (r.firstError) {
      const e = r.firstError;
      if (interrupted) return 130;
      console.error(`bench: login failed after ${r.completed} logins: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}`);
      failed = true;
    }
    loginsPerS = r.completed / r.elapsedS;
    cpuPerLogin = providerCpu / r.completed;
    const all = stats.all();
    loginP50 = percentile(all, 50);
    loginP99 = percentile(all, 99);
    report.push('', `LOGINS (password, code flow + PKCE, ${C} virtual users, ${fmt(r.elapsedS)} s)`);
    report.push(`  logins                         ${r.completed}  (${stats.requests} HTTP requests)`);
    report.push(`  logins/s                       ${fmt(loginsPerS)}`);
    report.push(...cpuLines(cpu, r.completed, 'login', cores));
    report.push(...redisLines(calls0, calls, r.completed, 'login'));
    report.push(`  latency per request            p50 ${fmt(loginP50, 2)} ms, p99 ${fmt(loginP99, 2)} ms`);
    for (const [label, list] of [...stats.latency].sort((a, b) => a[0].localeCompare(b[0]))) {
      report.push(`    ${label.padEnd(36)} n=${String(list.length).padEnd(6)} p50 ${fmt(percentile(list, 50), 2).padStart(7)} ms  p99 ${fmt(percentile(list, 99), 2).padStart(7)} ms`);
    }
  }

  // Argon2id verify-only ------------------------------------------------------------------------
  let verifiesPerS = NaN;
  let cpuPerVerify = NaN;
  if (PHASES.has('argon') && !failed) {
    const { memoryKiB, timeCost, parallelism } = DEFAULTS.argon2;
    const hashed = await argonHash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: memoryKiB, timeCost, parallelism });
    if (!(await argonVerify(hashed, PASSWORD))) throw new Error('argon2 self-check failed');
    const cpu0 = cpuSnapshot(provider.pid, redisPid);
    const self0 = process.cpuUsage();
    const faults0 = process.resourceUsage().minorPageFault;
    const r = await runLoad(C, ARGON_SECONDS, Number.MAX_SAFE_INTEGER, async () => {
      if (!(await argonVerify(hashed, PASSWORD))) throw new Error('argon2 verify returned false');
    });
    const self = process.cpuUsage(self0);
    const cpu = cpuDelta(cpu0, cpuSnapshot(provider.pid, redisPid));
    foreignLoad.push({ phase: 'argon2', cores: (cpu.busy - cpu.provider - (Number.isFinite(cpu.redis) ? cpu.redis : 0) - cpu.self) / cpu.at });
    if (r.firstError) throw r.firstError;
    verifiesPerS = r.completed / r.elapsedS;
    cpuPerVerify = (self.user + self.system) / 1000 / r.completed;
    const kernelPerVerify = self.system / 1000 / r.completed;
    const faultsPerVerify = (process.resourceUsage().minorPageFault - faults0) / r.completed;
    report.push('', `ARGON2ID VERIFY (m=${memoryKiB} KiB, t=${timeCost}, p=${parallelism}; ${C} concurrent, ${fmt(r.elapsedS)} s, this process, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'})`);
    report.push(`  verifies                       ${r.completed}`);
    report.push(`  verifies/s                     ${fmt(verifiesPerS)}`);
    report.push(`  CPU ms per verify              ${fmt(cpuPerVerify, 2)}  (of which kernel ${fmt(kernelPerVerify, 2)}; ${fmt(faultsPerVerify, 0)} page faults per verify)`);
    report.push(`  cores busy                     this process ${fmt(cpu.self / cpu.at, 2)}, provider (idle) ${fmt(cpu.provider / cpu.at, 2)}, machine ${fmt(cpu.busy / cpu.at, 2)} of ${cores} (steal ${fmt(cpu.steal / cpu.at, 2)})`);
  }

  // Refresh-token grants --------------------------------------------------------------------------
  let grantsPerS = NaN;
  let grantsPerCoreS = NaN;
  if (PHASES.has('refresh') && !failed) {
    const tokens: string[] = [];
    for (let vu = 0; vu < C; vu += 1) {
      const r = await login(provider.issuer, ep, who(vu));
      if (!r.refreshToken) throw new Error('login gave no refresh token (is the client first-party with grant refresh_token?)');
      tokens.push(r.refreshToken);
    }
    await runLoad(C, 1, C * 20, async (vu) => { tokens[vu] = await refresh(ep, tokens[vu]!); }); // warm-up
    const stats = new Stats();
    const calls0 = await redisCalls(redisAdmin);
    const cpu0 = cpuSnapshot(provider.pid, redisPid);
    const r = await runLoad(C, REFRESH_SECONDS, MAX_REFRESH, async (vu) => { tokens[vu] = await refresh(ep, tokens[vu]!, stats); });
    const cpu = cpuDelta(cpu0, cpuSnapshot(provider.pid, redisPid));
    const calls = await redisCalls(redisAdmin);
    const providerCpu = cpu.provider;
    if (r.firstError) {
      if (interrupted) return 130;
      console.error(`bench: refresh grant failed after ${r.completed}: ${(r.firstError as Error).message}`);
      failed = true;
    }
    grantsPerS = r.completed / r.elapsedS;
    grantsPerCoreS = r.completed / (providerCpu / 1000);
    const all = stats.all();
    report.push('', `REFRESH-TOKEN GRANTS (${C} virtual users, ${fmt(r.elapsedS)} s)`);
    report.push(`  grants                         ${r.completed}`);
    report.push(`  grants/s                       ${fmt(grantsPerS)}`);
    report.push(...cpuLines(cpu, r.completed, 'grant', cores));
    report.push(...redisLines(calls0, calls, r.completed, 'grant'));
    report.push(`  grants per provider-core-second ${fmt(grantsPerCoreS, 0)}`);
    report.push(`  latency per request            p50 ${fmt(percentile(all, 50), 2)} ms, p99 ${fmt(percentile(all, 99), 2)} ms`);
  }

  // Per-request floor: the cheapest requests, to compare a login's 7 requests with ----------------
  if (PHASES.has('floor') && !failed) {
    report.push('', `REQUEST FLOOR (${C} virtual users, 2 s each: what any request costs the provider)`);
    for (const [label, url] of [['GET /readyz (router + Redis PING)', `${provider.issuer}/readyz`], ['GET /.well-known/openid-configuration', `${provider.issuer}/.well-known/openid-configuration`]] as const) {
      const cpu0 = cpuSnapshot(provider.pid, redisPid);
      const r = await runLoad(C, 2, 1_000_000, async () => {
        const res = await request('GET', url, { accept: 'application/json' });
        if (res.status !== 200) throw new BenchError(`${label}: ${res.status}`);
      });
      const cpu = cpuDelta(cpu0, cpuSnapshot(provider.pid, redisPid));
      if (r.firstError) throw r.firstError;
      report.push(`  ${label.padEnd(40)} ${fmt(r.completed / r.elapsedS, 0).padStart(6)}/s, provider CPU ms per request ${fmt(cpu.provider / r.completed, 3)} (main thread ${fmt(cpu.main / r.completed, 3)})`);
    }
  }

  // CPU per step: one user, so that the provider works on one request at a time -------------------
  if (PHASES.has('steps') && !failed) {
    probe = { pid: provider.pid, cpu: new Map() };
    const stats = new Stats();
    const r = await runLoad(1, 3, 2000, async (_vu, i) => { await login(provider.issuer, ep, who(i), stats); });
    const cpu = probe.cpu;
    probe = undefined;
    if (r.firstError) throw r.firstError;
    report.push('', `CPU PER STEP (1 user, ${r.completed} logins; provider CPU while each request was in flight, from schedstat)`);
    let main = 0;
    let others = 0;
    for (const [label, acc] of [...cpu].sort((a, b) => a[0].localeCompare(b[0]))) {
      main += acc.main / r.completed;
      others += acc.others / r.completed;
      report.push(`    ${label.padEnd(36)} main thread ${fmt(acc.main / acc.n / 1e6, 2).padStart(6)} ms, other threads ${fmt(acc.others / acc.n / 1e6, 2).padStart(6)} ms, p50 ${fmt(percentile(stats.latency.get(label) ?? [], 50), 2).padStart(6)} ms`);
    }
    report.push(`    ${'sum per login'.padEnd(36)} main thread ${fmt(main / 1e6, 2).padStart(6)} ms, other threads ${fmt(others / 1e6, 2).padStart(6)} ms`);
  }

  // Passkey assertion check (test/bench/passkey-bench.ts) -------------------------------------------
  if (PHASES.has('passkey') && !failed) report.push('', ...(await passkeyBench(redisUrl)));
  if (PHASES.has('payment') && !failed) report.push('', ...(await (await import('./payment-bench.ts')).paymentBench(redisUrl))); // test/bench/payment-bench.ts

  // loa:3: certificate + password (its own file) ------------------------------------------------
  if (PHASES.has('loa3') && !failed) {
    report.push(...await certificateLoginFigure({
      issuer: provider.issuer, authorization: ep.authorization, token: ep.token, clientId: CLIENT_ID, secret: CLIENT_SECRET,
      callback: CALLBACK, pid: provider.pid, users: C, seconds: Math.min(SECONDS, 8), passwordCpuMs: Number.isFinite(cpuPerLogin) ? cpuPerLogin : undefined,
    }));
  }

  // Summary -------------------------------------------------------------------------------------
  const ratio = loginsPerS / verifiesPerS;
  const perCore = cpuPerVerify / cpuPerLogin;
  report.push('', `SUMMARY (${cores} cores: os.availableParallelism())`);
  report.push(`  logins/s                       ${fmt(loginsPerS)}`);
  report.push(`  provider CPU ms per login      ${fmt(cpuPerLogin, 2)}`);
  report.push(`  latency per request            p50 ${fmt(loginP50, 2)} ms, p99 ${fmt(loginP99, 2)} ms`);
  report.push(`  Argon2id verifies/s            ${fmt(verifiesPerS)}`);
  report.push(`  CPU ms per verify              ${fmt(cpuPerVerify, 2)}`);
  report.push(`  logins/s ÷ verifies/s          ${fmt(ratio, 3)}`);
  report.push(`  per-core ratio                 ${fmt(perCore, 3)}  (verify CPU ms ÷ provider CPU ms per login = logins per provider-core-second ÷ verifies per core-second)`);
  report.push(`  refresh grants/s               ${fmt(grantsPerS)}`);
  report.push(`  refresh grants per provider-core-second ${fmt(grantsPerCoreS, 0)}`);
  report.push(`  target: login per-core ratio ≥ ${TARGET_LOGIN_RATIO}            ${Number.isFinite(perCore) ? mark(perCore >= TARGET_LOGIN_RATIO) : 'not measured'}  (${fmt(perCore, 3)})`);
  report.push(`  target: refresh ≥ ${TARGET_REFRESH_PER_CORE_S} grants per core-second   ${Number.isFinite(grantsPerCoreS) ? mark(grantsPerCoreS >= TARGET_REFRESH_PER_CORE_S) : 'not measured'}  (${fmt(grantsPerCoreS, 0)})`);
  const busiest = foreignLoad.sort((a, b) => b.cores - a.cores)[0];
  if (busiest && busiest.cores > 0.25) {
    report.push('', `  NOTE: other processes on this machine used up to ${fmt(busiest.cores, 2)} cores (during ${busiest.phase}): rates per second`,
      '  (logins/s, verifies/s, grants/s, their ratio) are unreliable; the per-core figures suffer less.');
  }
  if (interrupted) return 130;
  const limiter = await limiterCpuPerLogin(redisUrl);
  report.push(`  abuse limits (issue 13): ${fmt(limiter.ms, 3)} CPU ms per login over ${limiter.logins} (target < ${LIMITER_TARGET_MS})  ${mark(limiter.ms < LIMITER_TARGET_MS)}`);
  console.log(report.join('\n'));

  if (provider.tail.length) console.log(`\nprovider output (last ${provider.tail.length} lines):\n${provider.tail.map((l) => `  ${l}`).join('\n')}`);
  if (profDir) {
    await stopChild(provider.child); // the profile is written when the provider exits
    console.log(`\n${summariseProfile(profDir).join('\n')}`);
  }
  return failed ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`bench: ${sig}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .catch((err: unknown) => {
    if (interrupted) return 130;
    console.error('bench: error:', err instanceof BenchError ? err.message : err);
    return 1;
  })
  .then(async (code) => {
    agent.destroy();
    closeCertificateBench();
    await cleanup();
    process.exit(code);
  });
