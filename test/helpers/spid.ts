// The stand-in SPID identity provider for tests: its own process (npm run spid-stub's entry, under
// tsx) on a free loopback port with keys in a temporary directory, and the walk through its page.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../global-setup.ts';
import { readyLine } from './process.ts';
import { Browser, type Page } from './browser.ts';

export interface SpidStub { url: string; anchor: string; keysDir: string; lines: string[]; stop(): Promise<void> }

export async function startSpidStub(env: Record<string, string> = {}, keysDir?: string): Promise<SpidStub> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = keysDir ?? mkdtempSync(path.join(os.tmpdir(), 'spid-stub-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'interactions/spid/stub/main.ts'], {
    env: { ...process.env, SPID_STUB_URL: url, SPID_STUB_KEYS_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  await readyLine(child, 'SPID stand-in ready', 30_000, lines, (code) => new Error(`stand-in exited with ${code}: ${lines.join('\n')}`));
  return {
    url, anchor: `${url}/anchor`, keysDir: dir, lines,
    stop: () => new Promise<void>((resolve) => {
      const done = () => { if (!keysDir) rmSync(dir, { recursive: true, force: true }); resolve(); };
      if (child.exitCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
    }),
  };
}

/**
 * From the IdP's chooser to the stand-in and back: picks `idp`, then on the stand-in's page the
 * identity, level and outcome; returns the IdP's page after the callback (or where the flow left).
 */
export async function throughStandIn(idpBrowser: Browser, stubUrl: string, chooser: Page, choice: { idp?: string; identity?: string; level?: string; outcome?: string } = {}): Promise<{ stubPage: Page; back: Page }> {
  const out = await idpBrowser.submit(chooser, { idp: choice.idp ?? 'stub' });
  if (!out.left?.startsWith(stubUrl)) throw new Error(`the chooser did not send the browser to the stand-in: ${out.status} ${out.alert ?? out.title ?? ''}`);
  const stub = new Browser(stubUrl);
  const stubPage = await stub.go(out.left);
  if (stubPage.status !== 200) throw new Error(`stand-in page ${stubPage.status}: ${stubPage.html.slice(0, 300)}`);
  // Radio buttons as the page checked them, unless the test picks others.
  const checked = (name: string) => stubPage.doc.querySelector(`input[name=${name}][checked]`)?.getAttribute('value') ?? '';
  const fields = { outcome: choice.outcome ?? 'ok', identity: choice.identity ?? checked('identity'), level: choice.level ?? checked('level') };
  const answered = await stub.submit(stubPage, fields);
  if (!answered.left) throw new Error(`the stand-in did not send the browser back: ${answered.status} ${answered.html.slice(0, 300)}`);
  return { stubPage, back: await idpBrowser.go(answered.left) };
}
