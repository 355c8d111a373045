// `npm run build`: compiles src/ and interactions/ to dist/ with tsc (tsconfig.build.json), then
// copies beside the code the files it reads from disk at run time. dist/ has the project's layout
// (dist/src, dist/interactions, dist/views), so ROOT, computed from import.meta.url, is dist/.
//
// `node scripts/build.mjs --if-stale` (npm start, npm run idp) builds only when dist/ is missing or
// a source is newer than the stamp of the last build, so `npm ci && npm start` works on a fresh clone.
// A lock file lets several starts at once (tests, a process manager) wait for one build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, closeSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
const LOCK = path.join(DIST, '.build-lock');

/** What the compiled code reads beside itself: templates, locale strings, the stylesheet, the demo data. */
const COPY = [
  { dir: 'views', keep: () => true },
  // Every method's templates and strings, and anything else a folder keeps beside its code.
  { dir: 'interactions', keep: (f) => !f.endsWith('.ts') },
  // src/demo/demo-data.json, and any other data file of the core.
  { dir: 'src', keep: (f) => !f.endsWith('.ts') },
];
/** Besides the COPY folders, what a build depends on. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

const log = (line) => process.stderr.write(`build: ${line}\n`);

function* walk(dir) {
  if (!existsSync(dir)) return;
  yield dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (!entry.name.endsWith('.test.ts')) yield p;
  }
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason() {
  if (!existsSync(STAMP)) return 'dist/ is missing';
  const built = statSync(STAMP).mtimeMs;
  // Directories count too: a deleted file changes its directory's time.
  const inputs = [...COPY.flatMap((c) => [...walk(path.join(ROOT, c.dir))]), ...INPUTS.map((f) => path.join(ROOT, f))];
  for (const p of inputs) {
    if (existsSync(p) && statSync(p).mtimeMs > built) return `${path.relative(ROOT, p) || '.'} changed`;
  }
  return undefined;
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new BuildError('TypeScript (a development dependency) is not installed: build with the development dependencies (npm ci && npm run build), then install for production with npm ci --omit=dev');
  }
}

class BuildError extends Error {}

function build() {
  const started = Date.now();
  // Clean: nothing removed from the sources may linger in dist/.
  for (const entry of readdirSync(DIST)) if (path.join(DIST, entry) !== LOCK) rmSync(path.join(DIST, entry), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [tscPath(), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (tsc.status !== 0) throw new BuildError(`tsc failed (exit ${tsc.status ?? tsc.signal}); dist/ is incomplete`);
  let copied = 0;
  for (const { dir, keep } of COPY) {
    for (const from of walk(path.join(ROOT, dir))) {
      if (statSync(from).isDirectory() || !keep(from)) continue;
      const to = path.join(DIST, path.relative(ROOT, from));
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(from, to);
      copied += 1;
    }
  }
  // The stamp carries the start time: a source saved during the build makes the next start rebuild.
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(STAMP, started / 1000, started / 1000);
  log(`dist/ ready: compiled, ${copied} files copied, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (err) { return err.code === 'EPERM'; }
}

/** Runs fn holding dist/.build-lock; waits (bounded) while another live process holds it. */
async function withLock(fn) {
  mkdirSync(DIST, { recursive: true });
  const until = Date.now() + 10 * 60_000;
  let said = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try { holder = Number(readFileSync(LOCK, 'utf8')); } catch { /* released meanwhile */ }
    if (holder > 0 && !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > until) throw new BuildError(`another build (pid ${holder}) still holds ${path.relative(ROOT, LOCK)} after 10 minutes`);
    if (!said) { log(`waiting for the build in process ${holder || '?'}`); said = true; }
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    try { unlinkSync(LOCK); } catch { /* gone already */ }
  }
}

async function main() {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !staleReason()) return;
  await withLock(() => {
    // Checked again under the lock: another process may just have built.
    const reason = staleReason();
    if (ifStale && !reason) return;
    if (ifStale) log(`${reason}: compiling to dist/`);
    build();
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err) => {
    log(err instanceof BuildError ? err.message : err.stack);
    process.exit(1);
  });
}
