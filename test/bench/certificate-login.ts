// The loa:3 figure of `npm run bench` (its own file: the bench's main loop only calls it): operators
// of a bench company log in with a client certificate and their password, the certificate coming in
// the trusted proxy's header (the bench client plays nginx, from 127.0.0.1), next to the same
// operators logging in at loa:1 with the same pages (identify, then password). The difference is
// what the certificate step costs: the whole login's provider CPU under load, and, with one user, the
// CPU of the one request that differs (POST identify, with and without the certificate step).
//
// Needs the provider started with MTLS_MODE=proxy TRUSTED_PROXIES=127.0.0.1/32 and the bench
// company below in its data (certificateBenchData). The certificates are made first through the
// activation pages (a CSR from this process), as a user's browser would.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import forge from 'node-forge';

export const BENCH_COMPANY = '99999999';
const OPERATOR_PASSWORD = 'BenchOp1';
const ACTIVATION_PASSWORD = 'BENCH2026';
export const CERT_TARGET_MS = 2;

/** The bench company and its operators, for the bench data file. */
export function certificateBenchData(operators: number) {
  return {
    code: BENCH_COMPANY, name: 'Bench S.p.A.', activation_password: ACTIVATION_PASSWORD, admin_password: '1111111111',
    accounts: [{ number: '0000099999', functions: ['balance'] }],
    operators: Array.from({ length: operators }, (_, i) => ({ code: `BENCH${i + 1}`, password: OPERATOR_PASSWORD, dispositive_password: OPERATOR_PASSWORD, must_change: false })),
  };
}

/** What the provider needs for this figure. */
export const CERTIFICATE_PROVIDER_ENV = { MTLS_MODE: 'proxy', TRUSTED_PROXIES: '127.0.0.1/32', CA_KEY_PASSPHRASE: `bench-${randomBytes(12).toString('hex')}` };

interface Res { status: number; location?: string; setCookie: string[]; body: string }
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function request(method: string, url: string, o: { body?: string; json?: boolean; cookies?: Map<string, string>; headers?: Record<string, string> } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1') { reject(new Error(`refusing a non-loopback target: ${url}`)); return; }
    const headers: Record<string, string> = { accept: o.json ? 'application/json' : 'text/html', 'accept-language': 'en', ...o.headers };
    if (o.cookies?.size) headers.cookie = [...o.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (o.body !== undefined) {
      headers['content-type'] = o.json ? 'application/json' : 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(o.body));
    }
    const req = http.request({ agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'] ?? [];
        for (const sc of setCookie) {
          const [pair = ''] = sc.split(';');
          const eq = pair.indexOf('=');
          // One jar per login: the paths of oidc-provider's cookies do not matter for these requests.
          if (o.cookies && eq > 0) o.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, setCookie, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Nanoseconds on CPU of all the provider's threads (schedstat). */
function providerNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread ended */ }
  }
  return ns;
}

const field = (page: string, re: RegExp, what: string) => {
  const v = re.exec(page)?.[1];
  if (!v) throw new Error(`bench (loa:3): ${what} not found in: ${page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
  return v.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
};
const csrfOf = (page: string) => field(page, /name="csrf" value="([^"]+)"/, 'csrf');
const actionOf = (page: string) => field(page, /<form method="post" action="([^"]+)"/, 'form action');

async function follow(first: Res, from: string, issuer: string, callback: string, cookies: Map<string, string>): Promise<{ res: Res; url: string; done?: string }> {
  let res = first;
  let url = from;
  for (let hop = 0; res.status >= 300 && res.status < 400; hop += 1) {
    if (hop >= 10 || !res.location) throw new Error(`bench (loa:3): redirect trouble at ${url}`);
    const next = new URL(res.location, url).href;
    if (next.startsWith(callback)) return { res, url, done: next };
    if (!next.startsWith(`${issuer}/`)) throw new Error(`bench (loa:3): unexpected redirect to ${next}`);
    url = next;
    res = await request('GET', url, { cookies });
  }
  return { res, url };
}

interface Operator { code: string; certHeader: string }

/** A certificate for one operator through the activation pages; the key and CSR made here. */
async function activate(issuer: string, code: string): Promise<Operator> {
  const cookies = new Map<string, string>();
  const start = await request('GET', `${issuer}/certificate/activate`, { cookies });
  const post = (page: string, fields: Record<string, string>) => request('POST', `${issuer}/certificate/activate`, { cookies, body: new URLSearchParams({ csrf: csrfOf(page), ...fields }).toString() });
  const pw = await post(start.body, { company_code: BENCH_COMPANY, operator_code: code });
  const keys = await post(pw.body, { password: ACTIVATION_PASSWORD });
  const subject = JSON.parse(field(keys.body, /data-subject="([^"]+)"/, 'the certificate subject')) as { name: string; value: string }[];
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject(subject);
  csr.sign(key, forge.md.sha256.create());
  const res = await request('POST', `${issuer}/certificate/activate/csr`, { cookies, json: true, body: JSON.stringify({ csrf: csrfOf(keys.body), csr: forge.pki.certificationRequestToPem(csr) }) });
  if (res.status !== 200) throw new Error(`bench (loa:3): activation of ${code}: ${res.status} ${res.body.slice(0, 200)}`);
  const { certificate } = JSON.parse(res.body) as { certificate: string };
  return { code, certHeader: encodeURIComponent(certificate) };
}

interface Flow { issuer: string; authorization: string; token: string; clientId: string; secret: string; callback: string; pid: number }

/** One login: identify (with the certificate header for loa:3), then the password page. `probe` gets the CPU of the POST identify. */
async function login(f: Flow, op: Operator, loa3: boolean, probe?: (ns: number) => void): Promise<void> {
  const cookies = new Map<string, string>();
  const verifier = randomBytes(32).toString('base64url');
  const auth = `${f.authorization}?${new URLSearchParams({
    client_id: f.clientId, response_type: 'code', redirect_uri: f.callback, scope: 'openid', state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    acr_values: loa3 ? 'urn:idp:loa:3' : 'urn:idp:loa:1',
  })}`;
  const page = await follow(await request('GET', auth, { cookies }), auth, f.issuer, f.callback, cookies);
  const idUrl = new URL(actionOf(page.res.body), page.url).href;
  const headers = loa3 ? { 'x-ssl-client-cert': op.certHeader } : undefined;
  const before = probe ? providerNs(f.pid) : 0;
  const afterId = await request('POST', idUrl, { cookies, headers, body: new URLSearchParams({ csrf: csrfOf(page.res.body), company_code: BENCH_COMPANY, operator_code: op.code }).toString() });
  probe?.(providerNs(f.pid) - before);
  const pwPage = await follow(afterId, idUrl, f.issuer, f.callback, cookies);
  if (!/name="password"/.test(pwPage.res.body)) throw new Error(`bench (loa:3): expected the password page: ${pwPage.res.status} ${pwPage.res.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
  const pwUrl = new URL(actionOf(pwPage.res.body), pwPage.url).href;
  const afterPw = await request('POST', pwUrl, { cookies, body: new URLSearchParams({ csrf: csrfOf(pwPage.res.body), password: OPERATOR_PASSWORD }).toString() });
  const done = await follow(afterPw, pwUrl, f.issuer, f.callback, cookies);
  const code = done.done ? new URL(done.done).searchParams.get('code') : null;
  if (!code) throw new Error(`bench (loa:3): no code (${done.res.status})`);
  const tok = await request('POST', f.token, { json: false, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: f.callback, code_verifier: verifier, client_id: f.clientId, client_secret: f.secret }).toString() });
  if (tok.status !== 200) throw new Error(`bench (loa:3): token ${tok.status} ${tok.body.slice(0, 200)}`);
  const claims = JSON.parse(Buffer.from((JSON.parse(tok.body) as { id_token: string }).id_token.split('.')[1]!, 'base64url').toString()) as { acr?: string };
  if (claims.acr !== (loa3 ? 'urn:idp:loa:3' : 'urn:idp:loa:1')) throw new Error(`bench (loa:3): acr ${claims.acr}`);
}

async function load(f: Flow, ops: Operator[], loa3: boolean, users: number, seconds: number): Promise<{ logins: number; cpuMs: number; elapsedS: number }> {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  const cpu0 = providerNs(f.pid);
  await Promise.all(Array.from({ length: users }, async (_, vu) => {
    while (performance.now() < deadline) {
      await login(f, ops[vu % ops.length]!, loa3);
      n += 1;
    }
  }));
  return { logins: n, cpuMs: (providerNs(f.pid) - cpu0) / 1e6, elapsedS: (performance.now() - t0) / 1000 };
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN; };

/**
 * The loa:3 figure: report lines for the bench's output. `passwordCpuMs`: the password-only login's
 * provider CPU measured by the bench's main phase, shown beside it.
 */
export async function certificateLoginFigure(f: Flow & { users: number; seconds: number; passwordCpuMs?: number }): Promise<string[]> {
  const ops: Operator[] = [];
  for (let i = 1; i <= Math.max(1, f.users); i += 1) ops.push(await activate(f.issuer, `BENCH${i}`));
  // Warm-up, then one user alternating the two flows (the CPU of the request that differs).
  await load(f, ops, true, f.users, 1);
  await load(f, ops, false, f.users, 1);
  const withCert: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 120; i += 1) {
    await login(f, ops[i % ops.length]!, true, (ns) => withCert.push(ns / 1e6));
    await login(f, ops[i % ops.length]!, false, (ns) => without.push(ns / 1e6));
  }
  const step = median(withCert) - median(without);
  const loa3 = await load(f, ops, true, f.users, f.seconds);
  const loa1 = await load(f, ops, false, f.users, f.seconds);
  const per3 = loa3.cpuMs / loa3.logins;
  const per1 = loa1.cpuMs / loa1.logins;
  return [
    '', `LOA:3 LOGINS (operators: client certificate from the trusted proxy's header + operator password; ${f.users} virtual users, ${fmt(loa3.elapsedS, 1)} s each)`,
    `  loa:3 logins/s                 ${fmt(loa3.logins / loa3.elapsedS, 1)}  (${loa3.logins} logins)`,
    `  provider CPU ms per loa:3 login ${fmt(per3)}  (the same operators at loa:1, identify and password on two pages: ${fmt(per1)}; difference ${fmt(per3 - per1)}${f.passwordCpuMs !== undefined ? `; the password-only login above: ${fmt(f.passwordCpuMs)}` : ''})`,
    `  certificate step, 1 user       POST identify with the certificate ${fmt(median(withCert))} ms CPU, without ${fmt(median(without))} ms (median of ${withCert.length}): +${fmt(step)} ms per login`,
    `  target: certificate check < ${CERT_TARGET_MS} ms CPU per login   ${step < CERT_TARGET_MS ? 'MET' : 'NOT MET'}  (${fmt(step)})`,
  ];
}

export function closeCertificateBench(): void {
  agent.destroy();
}
