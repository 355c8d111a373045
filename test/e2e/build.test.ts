// The compiled build: `npm start` on a fresh clone compiles to dist/ and serves it with plain node;
// dist/ carries everything the code reads at run time; a changed source makes the next start rebuild.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { startServer } from '../helpers/process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const temp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `idp-${name}-`));

// A fresh clone: the project's files without dist/, node_modules shared through a symlink.
const clone = temp('clone');
for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src', 'interactions', 'views']) {
  cpSync(path.join(ROOT, entry), path.join(clone, entry), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
}
symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
// A file that the sources lose later: it must not linger in dist/.
writeFileSync(path.join(clone, 'views', 'obsolete.txt'), 'gone soon\n');
const image = temp('image');
afterAll(() => {
  rmSync(clone, { recursive: true, force: true });
  rmSync(image, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function demoLogin(url: string): Promise<Record<string, unknown>> {
  const browser = new Browser(url);
  const identify = await browser.go(`${url}/demo/login?acr=urn:idp:loa:1`);
  expect(identify.doc.querySelector('input[name=fiscal_code]')).toBeTruthy();
  const password = await browser.submit(identify, { fiscal_code: 'RSSMRA85T10A562S' });
  const result = await browser.submit(password, { password: 'Secret-123' });
  expect(result.status).toBe(200);
  return JSON.parse(result.doc.querySelector('#id-token-claims')!.text) as Record<string, unknown>;
}

describe('the compiled build', () => {
  it('npm start on a fresh clone compiles to dist/ and serves it with plain node', { timeout: 240_000 }, async () => {
    const server = await startServer({ OUTBOX_FILE: path.join(clone, 'outbox.jsonl') }, [], {
      command: ['npm', 'start', '--silent'], cwd: clone, readyTimeoutMs: 200_000,
    });
    let pid = 0;
    try {
      expect(server.lines.join('\n')).toContain('build: dist/ is missing: compiling to dist/');
      const logged = server.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; pid: number });
      expect(logged[0]!.msg).toMatch(/embedded in-process store/);
      pid = logged[0]!.pid;
      // The server is node running the compiled entry point: no tsx, no shell in between.
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1)).toEqual(['dist/src/main.js']);
      expect(path.basename(readlinkSync(`/proc/${pid}/exe`))).toBe('node');
      expect(await demoLogin(server.url)).toMatchObject({ acr: 'urn:idp:loa:1', amr: ['pwd'] });
      const css = await fetch(`${server.url}/assets/style.css`);
      expect(await css.text()).toBe(readFileSync(path.join(clone, 'views', 'assets', 'style.css'), 'utf8'));
    } finally {
      await server.stop();
    }
    // SIGTERM to npm reached the server.
    expect(alive(pid)).toBe(false);
  });

  it('dist/ runs on its own, without the sources beside it (as in the container image)', async () => {
    cpSync(path.join(clone, 'dist'), path.join(image, 'dist'), { recursive: true });
    cpSync(path.join(clone, 'package.json'), path.join(image, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(image, 'node_modules'));
    const server = await startServer({ OUTBOX_FILE: path.join(image, 'outbox.jsonl') }, [], { command: [process.execPath, 'dist/src/main.js'], cwd: image });
    try {
      expect(await demoLogin(server.url)).toMatchObject({ acr: 'urn:idp:loa:1', amr: ['pwd'] });
      expect(server.lines.some((l) => l.includes(path.join(image, 'dist', 'src', 'demo', 'demo-data.json')))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('rebuilds before a start only when a source changed, and drops what the sources lost', { timeout: 120_000 }, () => {
    const ifStale = () => spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: clone, encoding: 'utf8' });
    const stamp = path.join(clone, 'dist', '.build-stamp');
    const built = statSync(stamp).mtimeMs;
    const fresh = ifStale();
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toBe('');
    expect(statSync(stamp).mtimeMs).toBe(built);

    appendFileSync(path.join(clone, 'views', 'message.eta'), '<%# changed after the build %>\n');
    rmSync(path.join(clone, 'views', 'obsolete.txt'));
    const stale = ifStale();
    expect(stale.status).toBe(0);
    expect(stale.stderr).toMatch(/build: views\S* changed: compiling to dist\//);
    expect(readFileSync(path.join(clone, 'dist', 'views', 'message.eta'), 'utf8')).toContain('changed after the build');
    expect(existsSync(path.join(clone, 'dist', 'views', 'obsolete.txt'))).toBe(false);
    expect(existsSync(path.join(clone, 'dist', 'src', 'main.js'))).toBe(true);
  });
});
