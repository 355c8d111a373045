// Runs the server as a user would, and reads what it prints: from the sources under tsx (quick to
// start), or any other command, e.g. `npm start` of the compiled build.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../global-setup.ts';

export interface Started { child: ChildProcess; url: string; lines: string[]; stop(): Promise<void> }

export interface StartOptions {
  /** The command and its arguments before `args` (default: node --import tsx src/main.ts). */
  command?: string[];
  cwd?: string;
  readyTimeoutMs?: number;
}

export async function startServer(env: Record<string, string | undefined>, args: string[] = [], opts: StartOptions = {}): Promise<Started> {
  const port = await freePort();
  const [file, ...before] = opts.command ?? [process.execPath, '--import', 'tsx', 'src/main.ts'];
  const child = spawn(file!, [...before, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, REDIS_URL: '', PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timeout = opts.readyTimeoutMs ?? 30_000;
  const lines: string[] = [];
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  await readyLine(child, 'IdP ready', timeout, lines, (code) => Object.assign(new Error(`exited with ${code}: ${lines.join('\n')}`), { lines, code }));
  return { child, url: `http://127.0.0.1:${port}`, lines, stop };
}

/**
 * Collects the child's output lines into `lines` and resolves when one contains `marker`; rejects
 * when the child exits first (with `exited(code)`) or after `timeoutMs` (the child is then ended).
 */
export function readyLine(child: ChildProcess, marker: string, timeoutMs: number, lines: string[], exited: (code: number | null) => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (lines[lines.length - 1]!.includes(marker)) resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(exited(code)));
    setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`not ready in ${timeoutMs / 1000} s: ${lines.join('\n')}`)); }, timeoutMs).unref();
  });
}

export async function runToExit(env: Record<string, string | undefined>, args: string[]): Promise<{ code: number | null; output: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: { ...process.env, REDIS_URL: '', PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}
