// The two servers under test, each its own node process (so that its CPU and memory can be read
// from /proc): ours, and the bare oidc-provider of bare/server.ts; and the data both are loaded with.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isValidFiscalCode } from '../../src/accounts/fiscal-code.ts';
import { freePort } from '../global-setup.ts';
import { CALLBACK, type BenchUser } from './flows.ts';
import { request, sleep } from './http.ts';
import { verifyServingPid } from './proc.ts';

export const PASSWORD = 'Bench-Pass-1';
/** First-party, confidential: no consent page, a refresh token without offline_access. */
export const FIRST_PARTY = { id: 'bench', secret: 'bench-secret-0123456789abcdef' };
/** Not first-party: a consent page, a refresh token only with offline_access. */
export const THIRD_PARTY = { id: 'bench-consent', secret: 'bench-consent-secret-0123456789' };

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

/** n valid, distinct fiscal codes with the given surname part (3 letters). */
function fiscalCodes(n: number, surname: string): string[] {
  const months = 'ABCDEHLMPRST';
  const out: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const year = String(i % 100).padStart(2, '0');
    const month = months[Math.floor(i / 100) % 12]!;
    const day = String(1 + (Math.floor(i / 1200) % 28)).padStart(2, '0');
    const body = `${surname}TST${year}${month}${day}H501`;
    const code = body + checkChar(body);
    if (!isValidFiscalCode(code)) throw new Error(`generated an invalid fiscal code ${code}`);
    out.push(code);
  }
  if (new Set(out).size !== out.length) throw new Error('generated duplicate fiscal codes (too many citizens)');
  return out;
}

export interface BenchData { file: string; users: BenchUser[]; codeUsers: BenchUser[] }

/**
 * Citizens for the password logins (no second factor set up, as before), and others with a secure
 * channel by email for the loa:2 logins (one per virtual user: a code is per user).
 */
export function writeBenchData(file: string, citizens: number, codeCitizens: number, idTokenAlg: string, companies: unknown[] = []): BenchData {
  const users = fiscalCodes(citizens, 'BNC').map((fiscalCode) => ({ fiscalCode, password: PASSWORD }));
  const codeUsers = fiscalCodes(codeCitizens, 'VRD').map((fiscalCode, i) => ({ fiscalCode, password: PASSWORD, email: `bench-${i + 1}@example.org` }));
  const alg = idTokenAlg !== 'RS256' ? { id_token_signed_response_alg: idTokenAlg } : {};
  const common = { redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post', ...alg };
  const data = {
    clients: [
      { client_id: FIRST_PARTY.id, client_secret: FIRST_PARTY.secret, first_party: true, ...common },
      { client_id: THIRD_PARTY.id, client_secret: THIRD_PARTY.secret, client_name: 'Bench third party', ...common },
    ],
    citizens: [
      ...users.map((u, i) => ({ fiscal_code: u.fiscalCode, password: u.password, must_change: false, given_name: 'Bench', family_name: `User ${i + 1}` })),
      ...codeUsers.map((u, i) => ({
        fiscal_code: u.fiscalCode, password: u.password, must_change: false, given_name: 'Bench', family_name: `Code ${i + 1}`,
        email: u.email, secure_channel: 'email',
      })),
    ],
    // loa3 phase: a company whose operators log in with certificates (test/bench/certificate-login.ts).
    ...(companies.length ? { companies } : {}),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return { file, users, codeUsers };
}

export interface Server {
  name: string;
  child: ChildProcess;
  pid: number;
  issuer: string;
  /** The key prefix of its data in the shared Redis. */
  prefix: string;
  tail: string[];
}

/** The bare provider compiled to plain JavaScript (var/bench/bare-dist), for a server that runs compiled too. */
export function compileBare(root: string): string {
  const out = path.join('var', 'bench', 'bare-dist');
  const tsc = spawnSync(process.execPath, [
    path.join('node_modules', 'typescript', 'bin', 'tsc'), path.join('test', 'bench', 'bare', 'server.ts'), path.join('test', 'bench', 'bare', 'adapter.ts'),
    '--outDir', out, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--rewriteRelativeImportExtensions',
    '--skipLibCheck', '--types', 'node',
  ], { cwd: root, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`compiling the bare provider failed:\n${tsc.stdout}${tsc.stderr}`);
  return path.join(out, 'server.js');
}

const stopping = new Set<ChildProcess>();

/** Spawns `node [nodeArgs] entry [args]` in root and waits until its discovery document answers. */
export async function startServer(o: { name: string; root: string; nodeArgs: string[]; entry: string; args?: string[]; env: NodeJS.ProcessEnv; prefix: string }): Promise<Server> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, ...o.env };
  const child = spawn(process.execPath, [...o.nodeArgs, o.entry, ...(o.args ?? [])], { cwd: o.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => { exited = `exited (${signal ?? code})`; });
  const until = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${o.name} server ${exited} before answering:\n${tail.join('\n')}`);
    if (Date.now() > until) { await stopServer(child); throw new Error(`${o.name} server did not answer within 90 s:\n${tail.join('\n')}`); }
    try {
      if ((await request('GET', `${issuer}/.well-known/openid-configuration`, { accept: 'application/json' })).status === 200) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
  verifyServingPid(child.pid!, port, o.entry);
  return { name: o.name, child, pid: child.pid!, issuer, prefix: o.prefix, tail };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || stopping.has(child)) return;
  stopping.add(child);
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}
