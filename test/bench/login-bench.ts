// `npm run bench [-- --logins 150 --rounds 3 ...]`: what a password login and a refresh-token grant
// cost this IdP, next to a bare oidc-provider measured in the same run.
//
// A throwaway redis-server, our provider and the bare one (test/bench/bare/: the same oidc-provider,
// a minimal Redis adapter and login page, the same Argon2id verify) run as separate node processes,
// so that their CPU time and memory can be read from /proc. This process is the load: one
// openid-client relying-party script (flows.ts) drives both the same way.
//
// Phases (--phases):
//   rounds  --rounds rounds, alternating which server goes first: on each, --logins full code-flow
//           password logins, then --refreshes refresh-token grants, then --verifies Argon2id
//           verify-only in this process (the servers idle). Per server: CPU per login and per grant,
//           Redis commands per login and per grant (INFO commandstats deltas: a Lua script's own
//           commands count too), then long-lived Redis bytes per session. Figures are medians of
//           the rounds; "less the Argon2 verify" subtracts the verify's CPU measured in that round.
//   flows   ours only: logins of a client that is not first-party (consent page, offline_access) and
//           loa:2 logins with the code read from the outbox: CPU and Redis commands per login.
//   steps   one user, one request at a time: each server's CPU and Redis commands per request.
//   trace   one login and one refresh grant per server, every Redis command they send (MONITOR), by request.
//   memory  each server's RSS and its high-water mark once it has served --memory-logins logins.
// Exit status: 0 whether or not targets are met, 1 when a login or a grant fails or the bench
// cannot run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import type * as oidc from 'openid-client';
import { DEFAULTS } from '../../src/config.ts';
import { startRedisServer } from '../global-setup.ts';
import { CALLBACK, login, OutboxReader, refresh, relyingParty, runLoad, type BenchUser, type LoginOptions } from './flows.ts';
import { BenchError, closeAgent, median, percentile, request, setProbe, Stats } from './http.ts';
import { cpuDelta, cpuSnapshot, memoryMiB, pidListeningOn, threadNs, type Cpu } from './proc.ts';
import { profileByRequest, summariseProfile, type RequestWindow } from './profile.ts';
import { addCalls, bytesPerSession, callsBetween, callsPer, classifiedKeys, commandCalls, type Calls, type Classify } from './redis-stats.ts';
import { passkeyBench } from './passkey-bench.ts';
import { LIMITER_TARGET_MS, limiterCpuPerLogin } from './limiter-cost.ts';
import { certificateBenchData, CERTIFICATE_PROVIDER_ENV, certificateLoginFigure, closeCertificateBench } from './certificate-login.ts';
import { compileBare, FIRST_PARTY, startServer, stopServer, THIRD_PARTY, writeBenchData, type Server } from './servers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TARGETS = { loginCommands: 45, refreshCommands: 10, loginCpuRatio: 1.10, refreshCpuRatio: 1.10, bytesPerSession: 2300 };

// ---------------------------------------------------------------------------------------------
// Options

const { values: opt } = parseArgs({
  options: {
    logins: { type: 'string', default: '150' },
    refreshes: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    verifies: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '40' },
    'flow-logins': { type: 'string', default: '40' },
    'step-logins': { type: 'string', default: '20' },
    'memory-logins': { type: 'string', default: '1000' },
    'floor-requests': { type: 'string', default: '2000' },
    citizens: { type: 'string', default: '20' },
    phases: { type: 'string', default: 'rounds,flows,steps,floor,memory,passkey,loa3,limiter,payment' },
    'skip-bare': { type: 'boolean', default: false },
    against: { type: 'string' },
    runtime: { type: 'string' },
    entry: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    production: { type: 'boolean', default: false },
    'id-token-alg': { type: 'string', default: 'RS256' },
    'redis-socket': { type: 'boolean', default: false },
    'provider-env': { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

if (opt.help) {
  console.log(`usage: npm run bench -- [--logins 150] [--refreshes 1000] [--rounds 3] [--verifies 60] [--concurrency 8]
       [--warmup 40] [--flow-logins 40] [--step-logins 20] [--memory-logins 1000] [--floor-requests 2000] [--citizens 20]
       [--phases rounds,flows,steps,floor,memory,passkey,loa3,limiter,payment] [--skip-bare | --against DIR] [--runtime compiled|tsx] [--entry FILE.js]
       [--cpu-prof] [--production]
       [--id-token-alg RS256] [--redis-socket] [--provider-env K=V ...] [--node-arg ARG ...]
  --logins N         password logins per server per round (the refresh tokens of the last ones are used next)
  --refreshes N      refresh-token grants per server per round
  --verifies N       Argon2id verify-only per round, in this process, to subtract from a login's CPU
  --skip-bare        measure ours alone (no baseline, no ratios)
  --against DIR      compare with our server from another checkout instead of the bare provider, e.g. main:
                     git archive main | tar -x -C DIR && ln -s \$PWD/node_modules DIR/
  --runtime          compiled: node dist/src/main.js, built first when stale by scripts/build.mjs --if-stale (the
                     default where that script exists), as production runs it; tsx: node --import tsx src/main.ts
  --entry FILE.js    run our server from this compiled entry with plain node
                     (when ours runs compiled, the bare provider is compiled too, into var/bench/bare-dist)
  --cpu-prof         V8 profiles of both servers' main threads, summarised at the end
  --production       our server in production mode (IDP_PRODUCTION=1, a random DATA_KEY)
  --id-token-alg     the bench clients' id_token_signed_response_alg, on both servers (e.g. ES256)
  --redis-socket     both servers reach Redis over a Unix socket (REDIS_URL=unix:...), as with a co-located Redis
  --provider-env K=V an extra environment variable for our server (repeatable), e.g. UV_THREADPOOL_SIZE=2
  --node-arg ARG     an extra node option for our server (repeatable), e.g. --perf-basic-prof for perf record`);
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

/** Slices of load per round, the servers taking turns. */
const SLICES = 10;
const C = intOpt('concurrency', 1);
const LOGINS = intOpt('logins', SLICES);
const REFRESHES = intOpt('refreshes', SLICES);
const ROUNDS = intOpt('rounds', 1);
const VERIFIES = intOpt('verifies', SLICES);
const WARMUP = intOpt('warmup', 0);
const FLOW_LOGINS = intOpt('flow-logins', 1);
const STEP_LOGINS = intOpt('step-logins', 1);
const MEMORY_LOGINS = intOpt('memory-logins', 1);
const FLOOR_REQUESTS = intOpt('floor-requests', 1);
/** Fresh logins whose long-lived keys are weighed (no refresh grant has added to their grant index). */
const BYTES_LOGINS = Math.min(LOGINS, 100);
const CITIZENS = intOpt('citizens', 1);
const PHASES = new Set(String(opt.phases).split(',').map((s) => s.trim()).filter(Boolean));
for (const p of PHASES) {
  if (!['rounds', 'flows', 'steps', 'trace', 'floor', 'memory', 'passkey', 'loa3', 'limiter', 'payment'].includes(p)) { console.error(`bench: unknown phase ${p}`); process.exit(2); }
}

// ---------------------------------------------------------------------------------------------
// Clean-up

const cleanups: (() => void | Promise<void>)[] = [];
/** Set by SIGINT/SIGTERM: the load stops, nothing more is reported, the processes are stopped. */
let interrupted = false;
const stopped = () => interrupted;
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try { await cleanups.pop()!(); } catch { /* best effort */ }
  }
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const mark = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
/** At the precision printed (a count of 10.004 per grant is 10.0). */
const printed = (n: number, d: number) => Number(n.toFixed(d));
const errText = (e: unknown) => (e instanceof BenchError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e));

// ---------------------------------------------------------------------------------------------
// One server under load

interface Target {
  server: Server;
  rp: oidc.Configuration;
  /** Logins it has served so far (all phases). */
  logins: number;
  /** Keys a session keeps for its life, by kind (for the bytes per session). */
  classify: Classify;
  rounds: RoundFigures[];
}

interface RoundFigures {
  loginCpu: number; loginMain: number; loginOthers: number; loginRedis: number; refreshRedis: number; loginCmds: number; loginCmdNames: [string, number][]; loginsPerS: number; p50: number; p99: number;
  refreshCpu: number; refreshMain: number; refreshCmds: number; refreshCmdNames: [string, number][];
  verifyCpu: number;
}

let admin: Redis;
/** With --cpu-prof: the steps phase's requests, per server, to cut its profile by. */
const stepWindows = new Map<string, RequestWindow[]>();
let redisPid: number | undefined;
/** Cores used by processes other than the bench's own, per phase (the busiest is reported). */
const foreignLoad: { phase: string; cores: number }[] = [];

function noteForeign(phase: string, d: Cpu): void {
  const ours = d.total + (Number.isFinite(d.redis) ? d.redis : 0) + d.self;
  foreignLoad.push({ phase, cores: Math.max(0, d.busy - ours) / d.at });
}

type LoadOptions = LoginOptions & {
  concurrency?: number;
  /** Virtual user i always logs in as users[i] (a code is per user), instead of round robin. */
  usersByVu?: boolean;
  /** Another client of the same server. */
  rp?: oidc.Configuration;
};

/** n logins under load against one server; the refresh tokens of the last ones are returned. */
async function loginLoad(t: Target, users: BenchUser[], n: number, o: LoadOptions = {}) {
  const tokens: string[] = [];
  const r = await runLoad(o.concurrency ?? C, n, async (vu, i) => {
    const res = await login(o.rp ?? t.rp, o.usersByVu ? users[vu % users.length]! : users[i % users.length]!, o);
    if (res.refresh_token) tokens[vu] = res.refresh_token;
  }, stopped);
  t.logins += r.completed;
  if (r.firstError) throw new BenchError(`${t.server.name}: a login failed after ${r.completed}: ${errText(r.firstError)}`);
  return { ...r, tokens: tokens.filter(Boolean) };
}

/** n refresh-token grants, one virtual user per token; the tokens are replaced when rotated. */
async function refreshLoad(t: Target, tokens: string[], n: number) {
  if (!tokens.length) throw new BenchError(`${t.server.name}: the logins gave no refresh token`);
  const r = await runLoad(tokens.length, n, async (vu) => { tokens[vu] = await refresh(t.rp, tokens[vu]!); }, stopped);
  if (r.firstError) throw new BenchError(`${t.server.name}: a refresh grant failed after ${r.completed}: ${errText(r.firstError)}`);
  return r;
}

/** A server's CPU and Redis commands summed over slices of load, per operation. */
class Tally {
  ops = 0;
  elapsedS = 0;
  private cpu = { total: 0, main: 0, others: 0, redis: 0 };
  private readonly calls: Calls = new Map();
  readonly stats = new Stats();

  add(cpu: Cpu, calls: Calls, ops: number, elapsedS: number): void {
    this.cpu.total += cpu.total;
    this.cpu.main += cpu.main;
    this.cpu.others += cpu.others;
    this.cpu.redis += cpu.redis;
    addCalls(this.calls, calls);
    this.ops += ops;
    this.elapsedS += elapsedS;
  }

  get figures() {
    const all = this.stats.all();
    return {
      cpu: this.cpu.total / this.ops, main: this.cpu.main / this.ops, others: this.cpu.others / this.ops, redis: this.cpu.redis / this.ops,
      calls: callsPer(this.calls, this.ops), perS: this.ops / this.elapsedS, p50: percentile(all, 50), p99: percentile(all, 99),
    };
  }
}

/** Runs one slice of load against one server (the others idle), adding what it cost to the tally. */
async function measured<R extends { completed: number; elapsedS: number }>(t: Target, tally: Tally, phase: string, run: () => Promise<R>): Promise<R> {
  const calls0 = await commandCalls(admin);
  const cpu0 = cpuSnapshot(t.server.pid, redisPid);
  const r = await run();
  const cpu = cpuDelta(cpu0, cpuSnapshot(t.server.pid, redisPid));
  tally.add(cpu, callsBetween(calls0, await commandCalls(admin)), r.completed, r.elapsedS);
  noteForeign(phase, cpu);
  return r;
}

async function measureLogins(t: Target, users: BenchUser[], n: number, phase: string, o: LoadOptions = {}) {
  const tally = new Tally();
  const r = await measured(t, tally, phase, () => loginLoad(t, users, n, { ...o, stats: tally.stats }));
  return { ...tally.figures, tokens: r.tokens };
}

/** CPU ms of n Argon2id verifies at our parameters, C at a time, in this process. */
async function verifyCpu(hashed: string, password: string, n: number): Promise<number> {
  const self0 = process.cpuUsage();
  const r = await runLoad(C, n, async () => {
    if (!(await argonVerify(hashed, password))) throw new Error('argon2 verify returned false');
  }, stopped);
  const self = process.cpuUsage(self0);
  if (r.firstError) throw r.firstError;
  return (self.user + self.system) / 1000;
}

/** The i-th of `slices` near-equal shares of n. */
const share = (n: number, slices: number, i: number) => Math.floor(((i + 1) * n) / slices) - Math.floor((i * n) / slices);

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const cores = os.availableParallelism();
  const withBare = !opt['skip-bare'];
  const against = opt.against ? path.resolve(opt.against) : undefined;
  const ourClassify: Classify = (k) => (/^oidc:Session:/.test(k) ? 'session' : /^oidc:uid:/.test(k) ? 'uid index' : /^oidc:Grant:/.test(k) ? 'grant'
    : /^oidc:grant:/.test(k) ? 'grant index' : /^oidc:RefreshToken:/.test(k) ? 'refresh token' : undefined);
  console.log(`bench: ${cores} cores, concurrency ${C}, ${opt.entry ? `ours from ${opt.entry}` : opt.runtime === 'tsx' || !existsSync(path.join(ROOT, 'scripts', 'build.mjs')) ? 'from the sources under tsx' : 'compiled (dist/)'}, ${ROUNDS} rounds of ${LOGINS} logins + ${REFRESHES} refresh grants per server${withBare ? ' (ours and bare, alternating)' : ' (ours only)'}, ${opt.production ? 'production mode, ' : ''}ID tokens ${opt['id-token-alg']}`);

  const redis = await startRedisServer({ unixSocket: opt['redis-socket'] });
  if (!redis) {
    console.error('bench: needs redis-server on PATH (a throwaway one is started on a free loopback port)');
    return 1;
  }
  cleanups.push(() => redis.stop());
  admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  cleanups.push(() => { admin.disconnect(); });
  redisPid = pidListeningOn(Number(new URL(redis.url).port));
  const serverRedis = opt['redis-socket'] && redis.socket ? `unix:${redis.socket}` : redis.url;
  console.log(`bench: throwaway redis-server at ${redis.url}${serverRedis !== redis.url ? ` (servers use ${serverRedis})` : ''}`);

  const varDir = path.join(ROOT, 'var', 'bench');
  mkdirSync(varDir, { recursive: true });
  const data = writeBenchData(path.join(varDir, 'bench-data.json'), CITIZENS, C, opt['id-token-alg']!, PHASES.has('loa3') ? [certificateBenchData(C)] : []);
  const outboxFile = path.join(varDir, 'outbox.jsonl');
  rmSync(outboxFile, { force: true });
  const profDir = opt['cpu-prof'] ? path.join(varDir, `prof-${Date.now()}`) : undefined;
  // With --cpu-prof, each server writes its profile (a sample every 200 µs) into a folder of its name.
  const profArgs = (name: string) => (profDir ? ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', path.join(profDir, name)] : []);
  if (profDir) mkdirSync(profDir, { recursive: true });
  const { memoryKiB, timeCost, parallelism } = DEFAULTS.argon2;

  const t0 = performance.now();
  // Our server as production runs it (compiled, plain node) where the project has a build, else
  // from the sources under tsx; the bare provider the same way, so that their memory compares.
  const buildScript = path.join('scripts', 'build.mjs');
  const runtime = opt.entry ? 'compiled' : opt.runtime ?? (existsSync(path.join(ROOT, buildScript)) ? 'compiled' : 'tsx');
  if (runtime !== 'compiled' && runtime !== 'tsx') throw new BenchError(`--runtime must be compiled or tsx (got ${runtime})`);
  if (runtime === 'compiled' && !opt.entry && spawnSync(process.execPath, [buildScript, '--if-stale'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
    throw new BenchError(`the build failed (or there is no ${buildScript}: use --runtime tsx)`);
  }
  if (against && runtime === 'compiled' && !opt.entry && spawnSync(process.execPath, [buildScript, '--if-stale'], { cwd: against, stdio: 'inherit' }).status !== 0) {
    throw new BenchError(`the build of ${against} failed (or it has no ${buildScript}: use --runtime tsx)`);
  }
  const entry = opt.entry ?? (runtime === 'compiled' ? path.join('dist', 'src', 'main.js') : path.join('src', 'main.ts'));
  const loader = runtime === 'tsx' ? ['--import', 'tsx'] : [];
  const bareEntry = runtime === 'compiled' ? compileBare(ROOT) : path.join('test', 'bench', 'bare', 'server.ts');
  const ourEnv: NodeJS.ProcessEnv = {
    NODE_ENV: 'development', REDIS_URL: serverRedis, REDIS_PREFIX: 'bench:', DEMO: '0', LOG_LEVEL: 'warn',
    OUTBOX: '1', OUTBOX_FILE: outboxFile,
    ...(PHASES.has('loa3') ? CERTIFICATE_PROVIDER_ENV : {}),
    // --production: production mode (cached templates...), which wants DATA_KEY from the environment.
    ...(opt.production ? { IDP_PRODUCTION: '1', DATA_KEY: (await import('node:crypto')).randomBytes(32).toString('hex') } : {}),
  };
  for (const kv of opt['provider-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new BenchError(`--provider-env ${kv}: expected NAME=value`);
    ourEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const [ours, bare] = await Promise.all([
    startServer({
      name: 'ours', root: ROOT, entry, prefix: 'bench:', env: ourEnv,
      nodeArgs: [...profArgs('ours'), ...(opt['node-arg'] ?? []), ...loader],
      args: ['--import', path.relative(ROOT, data.file)],
    }),
    against ? startServer({
      name: 'other', root: against, entry, prefix: 'other:', env: { ...ourEnv, REDIS_PREFIX: 'other:', OUTBOX_FILE: `${outboxFile}.other` },
      nodeArgs: [...profArgs('other'), ...(opt['node-arg'] ?? []), ...loader], args: ['--import', data.file],
    }) : withBare ? startServer({
      name: 'bare', root: ROOT, entry: bareEntry, prefix: 'bare:',
      nodeArgs: [...profArgs('bare'), ...(runtime === 'tsx' ? ['--import', 'tsx'] : [])],
      env: {
        NODE_ENV: 'development', REDIS_URL: serverRedis, REDIS_PREFIX: 'bare:', BENCH_DATA: data.file,
        ARGON2: `${memoryKiB},${timeCost},${parallelism}`, ID_TOKEN_ALG: opt['id-token-alg'],
      },
    }) : undefined,
  ]);
  cleanups.push(() => stopServer(ours.child));
  if (bare) cleanups.push(() => stopServer(bare.child));
  console.log(`bench: ours pid ${ours.pid}${bare ? `, ${bare.name} pid ${bare.pid}` : ''} (each verified: node serving its issuer), ready in ${fmt((performance.now() - t0) / 1000)} s`);

  const targets: Target[] = [{
    server: ours, rp: await relyingParty(ours.issuer, FIRST_PARTY.id, FIRST_PARTY.secret), logins: 0, rounds: [],
    classify: ourClassify,
  }];
  if (bare) {
    targets.push({
      server: bare, rp: await relyingParty(bare.issuer, FIRST_PARTY.id, FIRST_PARTY.secret), logins: 0, rounds: [],
      classify: against ? ourClassify : (k) => (/^Session:/.test(k) ? 'session' : /^uid:/.test(k) ? 'uid index' : /^Grant:/.test(k) ? 'grant'
        : /^grant:/.test(k) ? 'grant index' : /^RefreshToken:/.test(k) ? 'refresh token' : undefined),
    });
  }
  const users = data.users;
  const report: string[] = [];

  // Warm-up: JIT, caches, connections.
  for (const t of targets) {
    if (!WARMUP) break;
    const w = await loginLoad(t, users, WARMUP);
    await runLoad(Math.min(C, w.tokens.length), C * 20, async (vu) => { w.tokens[vu] = await refresh(t.rp, w.tokens[vu]!); }, stopped);
  }
  if (WARMUP) console.log(`bench: warm-up: ${WARMUP} logins and ${C * 20} refresh grants per server`);

  // Rounds: within a round the servers take turns by slices of load (SLICES each), so that both
  // meet the same machine (other work on it comes and goes within seconds) ---------------------
  if (PHASES.has('rounds')) {
    const hashed = await argonHash(users[0]!.password, { algorithm: Algorithm.Argon2id, memoryCost: memoryKiB, timeCost, parallelism });
    report.push('', `ROUNDS (${LOGINS} logins then ${REFRESHES} refresh grants per server, ${C} virtual users, the servers taking turns by slices of ${SLICES}; ${VERIFIES} Argon2id m=${memoryKiB} KiB t=${timeCost} p=${parallelism} verify-only between the login slices)`);
    for (let round = 0; round < ROUNDS && !interrupted; round += 1) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      const logins = new Map(targets.map((t) => [t, new Tally()]));
      const refreshes = new Map(targets.map((t) => [t, new Tally()]));
      const tokens = new Map<Target, string[]>();
      let verifyMs = 0;
      for (let slice = 0; slice < SLICES && !interrupted; slice += 1) {
        for (const t of order) {
          const tally = logins.get(t)!;
          const r = await measured(t, tally, `logins (${t.server.name})`, () => loginLoad(t, users, share(LOGINS, SLICES, slice), { stats: tally.stats }));
          if (r.tokens.length) tokens.set(t, r.tokens);
        }
        verifyMs += await verifyCpu(hashed, users[0]!.password, share(VERIFIES, SLICES, slice));
      }
      for (let slice = 0; slice < SLICES && !interrupted; slice += 1) {
        for (const t of order) await measured(t, refreshes.get(t)!, `refresh grants (${t.server.name})`, () => refreshLoad(t, tokens.get(t)!, share(REFRESHES, SLICES, slice)));
      }
      const v = verifyMs / VERIFIES;
      report.push(`  round ${round + 1} (${order.map((t) => t.server.name).join(' first, ')}${order.length > 1 ? ' second' : ''}), Argon2id verify ${fmt(v, 2)} CPU ms`);
      for (const t of order) {
        const l = logins.get(t)!.figures;
        const r = refreshes.get(t)!.figures;
        t.rounds.push({
          loginCpu: l.cpu, loginMain: l.main, loginOthers: l.others, loginRedis: l.redis, refreshRedis: r.redis, loginCmds: l.calls.total, loginCmdNames: l.calls.byName,
          loginsPerS: l.perS, p50: l.p50, p99: l.p99, refreshCpu: r.cpu, refreshMain: r.main, refreshCmds: r.calls.total, refreshCmdNames: r.calls.byName, verifyCpu: v,
        });
        report.push(`    ${t.server.name}: login ${fmt(l.cpu, 2)} ms (main ${fmt(l.main, 2)}, other threads ${fmt(l.others, 2)}; redis ${fmt(l.redis, 2)}), ${fmt(l.calls.total)} cmds, ${fmt(l.perS)}/s, p50/p99 ${fmt(l.p50)}/${fmt(l.p99)} ms; refresh ${fmt(r.cpu, 3)} ms (main ${fmt(r.main, 3)}; redis ${fmt(r.redis, 3)}), ${fmt(r.calls.total)} cmds`);
      }
    }
    for (const t of targets) {
      const last = t.rounds[t.rounds.length - 1];
      if (!last) continue;
      report.push(`  ${t.server.name} commands per login (last round): ${last.loginCmdNames.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
      report.push(`  ${t.server.name} commands per refresh (last round): ${last.refreshCmdNames.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    }
  }

  // Long-lived bytes per session: the keys a batch of fresh logins leaves behind ------------------
  const bytes = new Map<Target, Awaited<ReturnType<typeof bytesPerSession>>>();
  for (const t of PHASES.has('rounds') ? targets : []) {
    if (interrupted) break;
    const before = await classifiedKeys(admin, t.server.prefix, t.classify);
    await loginLoad(t, users, BYTES_LOGINS);
    const b = await bytesPerSession(admin, t.server.prefix, t.classify, before);
    bytes.set(t, b);
    const kinds = [...b.byKind].map(([k, v]) => `${k} ${fmt(v / b.sessions, 0)}`).join(', ');
    report.push(`  ${t.server.name} long-lived Redis bytes per session: ${fmt(b.perSession, 0)} (${kinds}; ${b.sessions} fresh logins)`);
  }

  // Other flows (ours) ------------------------------------------------------------------------
  if (PHASES.has('flows') && !interrupted) {
    const t = targets[0]!;
    const consentRp = await relyingParty(ours.issuer, THIRD_PARTY.id, THIRD_PARTY.secret);
    const outbox = new OutboxReader(outboxFile);
    report.push('', `OTHER FLOWS (ours, ${FLOW_LOGINS} logins each, ${C} virtual users)`);
    const flows: { label: string; run: () => Promise<Awaited<ReturnType<typeof measureLogins>>> }[] = [
      { label: 'password login, loa:1 (as above)', run: () => measureLogins(t, users, FLOW_LOGINS, 'logins (ours)') },
      {
        label: 'not first-party: consent + offline_access',
        run: async () => {
          const l = await measureLogins(t, users, FLOW_LOGINS, 'consent logins (ours)', { rp: consentRp, params: { scope: 'openid profile offline_access', prompt: 'consent' } });
          if (!l.tokens.length) throw new BenchError('consent logins with offline_access gave no refresh token');
          return l;
        },
      },
      { label: 'loa:2, code by email (outbox)', run: () => measureLogins(t, data.codeUsers, FLOW_LOGINS, 'loa:2 logins (ours)', { params: { acr_values: 'urn:idp:loa:2' }, outbox, usersByVu: true }) },
    ];
    for (const f of flows) {
      const l = await f.run();
      report.push(`  ${f.label.padEnd(44)} CPU ${fmt(l.cpu, 2)} ms per login (main ${fmt(l.main, 2)}), ${fmt(l.calls.total)} Redis commands, p50 ${fmt(l.p50)} ms`);
    }
  }

  // CPU and commands per request, one user -----------------------------------------------------
  if (PHASES.has('steps') && !interrupted) {
    report.push('', `PER REQUEST (1 user, ${STEP_LOGINS} logins per server, the servers taking turns by slices of ${Math.max(1, Math.floor(STEP_LOGINS / SLICES))}; CPU while each request was in flight, from schedstat)`);
    const probes = new Map(targets.map((t) => {
      const sums = new Map<string, { n: number; totals: Record<string, number> }>();
      const windows = profDir ? [] as RequestWindow[] : undefined;
      if (windows) stepWindows.set(t.server.name, windows);
      return [t, {
        sums,
        async read(label?: string, edge?: 'start' | 'end') {
          // With --cpu-prof, when each request was in flight (the server's profile is cut by these).
          if (windows && edge === 'end') windows[windows.length - 1]!.end = process.hrtime.bigint();
          const ns = threadNs(t.server.pid);
          const calls = await commandCalls(admin);
          let cmds = 0;
          for (const [k, v] of calls) if (!['info', 'scan', 'memory'].includes(k)) cmds += v;
          if (windows && edge === 'start') windows.push({ label: label ?? '', start: process.hrtime.bigint(), end: 0n });
          return { main: ns.main, others: ns.others, cmds };
        },
      }] as const;
    }));
    // The servers take turns, so that both meet the same machine (it is shared and its load moves).
    for (let slice = 0; slice < SLICES && !interrupted; slice += 1) {
      for (const t of slice % 2 ? [...targets].reverse() : targets) {
        const n = share(STEP_LOGINS, SLICES, slice);
        if (!n) continue;
        setProbe(probes.get(t));
        try {
          await loginLoad(t, users, n, { concurrency: 1 });
        } finally {
          setProbe(undefined);
        }
      }
    }
    for (const t of targets) {
      const { sums } = probes.get(t)!;
      report.push(`  ${t.server.name}:`);
      const total = { main: 0, others: 0, cmds: 0 };
      for (const [label, acc] of [...sums].sort((a, b) => a[0].localeCompare(b[0]))) {
        const per = (k: string) => (acc.totals[k] ?? 0) / acc.n;
        total.main += (acc.totals.main ?? 0) / STEP_LOGINS;
        total.others += (acc.totals.others ?? 0) / STEP_LOGINS;
        total.cmds += (acc.totals.cmds ?? 0) / STEP_LOGINS;
        report.push(`    ${label.padEnd(30)} main thread ${fmt(per('main') / 1e6, 2).padStart(6)} ms, other threads ${fmt(per('others') / 1e6, 2).padStart(6)} ms, Redis commands ${fmt(per('cmds')).padStart(5)}`);
      }
      report.push(`    ${'per login'.padEnd(30)} main thread ${fmt(total.main / 1e6, 2).padStart(6)} ms, other threads ${fmt(total.others / 1e6, 2).padStart(6)} ms, Redis commands ${fmt(total.cmds).padStart(5)}`);
    }
  }

  if (PHASES.has('trace') && !interrupted) report.push('', ...(await traceCommands(targets, users)));

  // The cheapest request, for scale: what any request costs each server -----------------------
  if (PHASES.has('floor') && !interrupted) {
    report.push('', `REQUEST FLOOR (GET /jwks, ${FLOOR_REQUESTS} per server, ${C} virtual users: the middleware and framework share of any request)`);
    for (const t of targets) {
      const url = `${t.server.issuer}/jwks`;
      const tally = new Tally();
      await measured(t, tally, `floor (${t.server.name})`, () => runLoad(C, FLOOR_REQUESTS, async () => {
        const res = await request('GET', url, { accept: 'application/json' });
        if (res.status !== 200) throw new BenchError(`${url}: ${res.status}`);
      }, stopped));
      const f = tally.figures;
      report.push(`  ${t.server.name.padEnd(5)} CPU ${fmt(f.cpu * 1000, 0)} µs per request (main thread ${fmt(f.main * 1000, 0)} µs)`);
    }
  }

  // Passkey assertion check (test/bench/passkey-bench.ts) ------------------------------------------
  if (PHASES.has('passkey') && !interrupted) report.push('', ...(await passkeyBench(redis.url)));

  // loa:3: certificate + password (test/bench/certificate-login.ts) -----------------------------
  if (PHASES.has('loa3') && !interrupted) {
    const t = targets[0]!;
    const meta = t.rp.serverMetadata();
    const password = t.rounds.length ? median(t.rounds.map((r) => r.loginCpu)) : undefined;
    report.push(...await certificateLoginFigure({
      issuer: ours.issuer, authorization: meta.authorization_endpoint!, token: meta.token_endpoint!, clientId: FIRST_PARTY.id, secret: FIRST_PARTY.secret,
      callback: CALLBACK, pid: ours.pid, users: C, seconds: 8, passwordCpuMs: password,
    }));
  }

  // The abuse limits' own CPU per login (test/bench/limiter-cost.ts) -----------------------------
  if (PHASES.has('limiter') && !interrupted) {
    const limiter = await limiterCpuPerLogin(redis.url);
    report.push('', `ABUSE LIMITS: ${fmt(limiter.ms, 3)} CPU ms per login over ${limiter.logins} (target < ${LIMITER_TARGET_MS})  ${mark(limiter.ms < LIMITER_TARGET_MS)}`);
  }

  // A payment confirmation (test/bench/payment-bench.ts) -----------------------------------------
  if (PHASES.has('payment') && !interrupted) report.push('', ...(await (await import('./payment-bench.ts')).paymentBench(redis.url)));

  // Memory after N logins ---------------------------------------------------------------------
  const memory = new Map<Target, { rss: number; hwm: number; logins: number }>();
  if (PHASES.has('memory') && !interrupted) {
    for (const t of targets) {
      if (t.logins < MEMORY_LOGINS) await loginLoad(t, users, MEMORY_LOGINS - t.logins);
      memory.set(t, { ...memoryMiB(t.server.pid), logins: t.logins });
    }
    report.push('', 'MEMORY (one serving process, plain node: no npm or tsx wrapper process)');
    for (const [t, m] of memory) report.push(`  ${t.server.name.padEnd(5)} RSS ${fmt(m.rss, 0)} MiB after ${m.logins} logins, high-water mark ${fmt(m.hwm, 0)} MiB`);
  }
  if (interrupted) return 130;

  // Summary -------------------------------------------------------------------------------------
  const fig = (t: Target | undefined, f: (r: RoundFigures) => number) => (t ? median(t.rounds.map(f)) : NaN);
  const [o, b] = [targets[0], targets[1]];
  const lessArgon = (r: RoundFigures) => r.loginCpu - r.verifyCpu;
  const ratio = (x: number, y: number) => x / y;
  const rows: [string, number, number, number, string][] = [];
  if (PHASES.has('rounds')) {
    rows.push(
      ['server CPU per login (ms)', fig(o, (r) => r.loginCpu), fig(b, (r) => r.loginCpu), 2, ''],
      [`the same, less the Argon2 verify (${fmt(fig(o, (r) => r.verifyCpu), 2)} ms)`, fig(o, lessArgon), fig(b, lessArgon), 2, ` (target ≤ ${TARGETS.loginCpuRatio.toFixed(2)}x)`],
      ['main-thread CPU per login (ms)', fig(o, (r) => r.loginMain), fig(b, (r) => r.loginMain), 2, ''],
      ['server CPU per refresh grant (ms)', fig(o, (r) => r.refreshCpu), fig(b, (r) => r.refreshCpu), 3, ` (target ≤ ${TARGETS.refreshCpuRatio.toFixed(2)}x)`],
      ['main-thread CPU per refresh grant (ms)', fig(o, (r) => r.refreshMain), fig(b, (r) => r.refreshMain), 3, ''],
      ['Redis server CPU per login (ms)', fig(o, (r) => r.loginRedis), fig(b, (r) => r.loginRedis), 2, ''],
      ['Redis server CPU per refresh grant (ms)', fig(o, (r) => r.refreshRedis), fig(b, (r) => r.refreshRedis), 3, ''],
      ['Redis commands per login', fig(o, (r) => r.loginCmds), fig(b, (r) => r.loginCmds), 1, ` (target ≤ ${TARGETS.loginCommands})`],
      ['Redis commands per refresh grant', fig(o, (r) => r.refreshCmds), fig(b, (r) => r.refreshCmds), 1, ` (target ≤ ${TARGETS.refreshCommands})`],
    );
  }
  if (bytes.size) rows.push(['long-lived Redis bytes per session', bytes.get(o!)?.perSession ?? NaN, b ? bytes.get(b)?.perSession ?? NaN : NaN, 0, ` (target ≤ ${TARGETS.bytesPerSession})`]);
  if (memory.size) rows.push([`RSS after ${MEMORY_LOGINS}+ logins / high-water mark (MiB)`, memory.get(o!)?.rss ?? NaN, b ? memory.get(b)?.rss ?? NaN : NaN, 0, '']);
  report.push('', `SUMMARY (medians of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}; ${cores} cores)`, '', `| figure | ours | ${b?.server.name === 'other' ? `other (${against})` : 'bare provider'} | ours ÷ ${b?.server.name ?? 'bare'} |`, '| --- | --- | --- | --- |');
  for (const [label, x, y, d, target] of rows) {
    const hwm = label.startsWith('RSS') ? [memory.get(o!)?.hwm ?? NaN, b ? memory.get(b)?.hwm ?? NaN : NaN] : undefined;
    const cell = (v: number, i: number) => (hwm ? `${fmt(v, d)} / ${fmt(hwm[i]!, 0)}` : fmt(v, d));
    report.push(`| ${label} | ${cell(x, 0)} | ${b ? cell(y, 1) : '-'} | ${b ? `${fmt(ratio(x, y), 2)}x${b.server.name === 'bare' ? target : ''}` : '-'} |`);
  }
  const loginCmds = fig(o, (r) => r.loginCmds);
  const refreshCmds = fig(o, (r) => r.refreshCmds);
  const perSession = bytes.get(o!)?.perSession ?? NaN;
  report.push('', 'TARGETS');
  if (PHASES.has('rounds')) {
    report.push(`  Redis commands per login ≤ ${TARGETS.loginCommands}              ${mark(printed(loginCmds, 1) <= TARGETS.loginCommands)} (${fmt(loginCmds)})`);
    report.push(`  Redis commands per refresh grant ≤ ${TARGETS.refreshCommands}      ${mark(printed(refreshCmds, 1) <= TARGETS.refreshCommands)} (${fmt(refreshCmds)})`);
    if (b && b.server.name === 'bare') {
      const lr = ratio(fig(o, lessArgon), fig(b, lessArgon));
      const rr = ratio(fig(o, (r) => r.refreshCpu), fig(b, (r) => r.refreshCpu));
      report.push(`  login CPU less Argon2 ≤ ${TARGETS.loginCpuRatio.toFixed(2)}x bare          ${mark(printed(lr, 2) <= TARGETS.loginCpuRatio)} (${fmt(lr, 2)}x)`);
      report.push(`  refresh CPU ≤ ${TARGETS.refreshCpuRatio.toFixed(2)}x bare                    ${mark(printed(rr, 2) <= TARGETS.refreshCpuRatio)} (${fmt(rr, 2)}x)`);
    }
  }
  if (Number.isFinite(perSession)) report.push(`  long-lived bytes per session ≤ ${TARGETS.bytesPerSession}       ${mark(perSession <= TARGETS.bytesPerSession)} (${fmt(perSession, 0)})`);
  const busiest = foreignLoad.sort((x, y) => y.cores - x.cores)[0];
  if (busiest && busiest.cores > 0.25) {
    report.push('', `  NOTE: other processes on this machine used up to ${fmt(busiest.cores, 2)} cores (during ${busiest.phase}):`,
      '  rates per second are unreliable; CPU per operation suffers less.');
  }
  console.log(report.join('\n'));

  for (const t of targets) {
    const tail = t.server.tail.filter((l) => !/Unsupported runtime|bare provider ready/.test(l));
    if (tail.length) console.log(`\n${t.server.name} server output (last ${tail.length} lines):\n${tail.map((l) => `  ${l}`).join('\n')}`);
  }
  if (profDir) {
    // A profile is written when its server exits.
    for (const t of targets) {
      await stopServer(t.server.child);
      console.log(`\n${t.server.name}: ${summariseProfile(path.join(profDir, t.server.name), ROOT).join('\n')}`);
      const windows = stepWindows.get(t.server.name);
      if (windows?.length) writeFileSync(path.join(profDir, t.server.name, 'requests.json'), JSON.stringify(windows.map((x) => ({ ...x, start: String(x.start), end: String(x.end) }))));
      if (windows?.length) console.log(`\n${t.server.name}: ${profileByRequest(path.join(profDir, t.server.name), ROOT, windows, STEP_LOGINS).join('\n')}`);
    }
  }
  writeFileSync(path.join(varDir, 'last-report.txt'), `${report.join('\n')}\n`);
  return 0;
}

/** Every Redis command of one login and one refresh grant per server, by request (MONITOR). */
async function traceCommands(targets: Target[], users: BenchUser[]): Promise<string[]> {
  const out = ['COMMANDS (one login and one refresh grant per server; ids shortened to …)'];
  const mon = await admin.monitor();
  let lines: string[] = [];
  mon.on('monitor', (_time: string, args: string[]) => {
    const name = String(args[0]).toLowerCase();
    if (['info', 'echo', 'monitor', 'ping'].includes(name)) return;
    lines.push(args.map((a) => String(a).replace(/[A-Za-z0-9_-]{20,}/g, '…').slice(0, 60)).join(' '));
  });
  // MONITOR shows commands in the order Redis runs them: an ECHO from the same client marks where
  // a request's commands end (the server has answered it by then).
  const flush = async (label: string) => {
    await admin.echo(label);
    await new Promise((r) => setTimeout(r, 20));
    const got = lines;
    lines = [];
    return got;
  };
  try {
    for (const t of targets) {
      out.push(`  ${t.server.name}:`);
      setProbe({
        sums: new Map(),
        async read(label, edge) {
          const got = await flush(label ?? '');
          if (edge === 'end') out.push(`    ${label} (${got.length})`, ...got.map((l) => `      ${l}`));
          return {};
        },
      });
      try {
        const { tokens } = await loginLoad(t, users, 1, { concurrency: 1 });
        if (tokens[0]) await refresh(t.rp, tokens[0], new Stats());
      } finally {
        setProbe(undefined);
      }
    }
  } finally {
    mon.disconnect();
  }
  return out;
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
    console.error('bench: error:', errText(err));
    return 1;
  })
  .then(async (code) => {
    closeAgent();
    closeCertificateBench();
    await cleanup();
    process.exit(code);
  });
