// The one client script that drives both servers: openid-client 6 as the relying party (discovery,
// PKCE, the code and refresh-token grants, ID token checks), the browser part over node:http. A
// login walks authorize → login page → one post of user and password → whatever pages follow
// (consent, a code from the outbox) → resume → callback → token.
import { open, stat } from 'node:fs/promises';
import * as oidc from 'openid-client';
import { BenchError, Browser, excerpt, formOf, measured, sleep, type Stats } from './http.ts';

export const CALLBACK = 'http://127.0.0.1:9/cb';

export interface BenchUser { fiscalCode: string; password: string; email?: string }

export function relyingParty(issuer: string, clientId: string, secret: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, secret, oidc.ClientSecretPost(secret), { execute: [oidc.allowInsecureRequests] });
}

/** Reads one-time codes from the provider's outbox (one JSON line per message), newest per address. */
export class OutboxReader {
  private offset = 0;
  private rest = '';
  private readonly latest = new Map<string, string>();

  constructor(private readonly file: string) {}

  /** The newest login code sent to `to`, waiting briefly for the line to land; taken once. */
  async codeFor(to: string): Promise<string> {
    for (let i = 0; i < 40; i += 1) {
      await this.readNew();
      const code = this.latest.get(to);
      if (code) { this.latest.delete(to); return code; }
      await sleep(25);
    }
    throw new BenchError(`no code for ${to} in the outbox`);
  }

  private async readNew(): Promise<void> {
    let size = 0;
    try { size = (await stat(this.file)).size; } catch { return; }
    if (size <= this.offset) return;
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      await fh.read(buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const m = JSON.parse(line) as { to?: string; code?: string | null; kind?: string };
        if (m.kind === 'otp_login' && m.to && m.code) this.latest.set(m.to, m.code);
      }
    } finally {
      await fh.close();
    }
  }
}

export interface LoginOptions {
  /** Extra authorization parameters (scope, acr_values, prompt ...). */
  params?: Record<string, string>;
  stats?: Stats;
  outbox?: OutboxReader;
}

/** One full login as a browser and a relying party do it; returns the token response. */
export async function login(rp: oidc.Configuration, user: BenchUser, opts: LoginOptions = {}): Promise<oidc.TokenEndpointResponse> {
  const origin = new URL(rp.serverMetadata().issuer).origin;
  const browser = new Browser(opts.stats);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: CALLBACK, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, nonce, ...opts.params,
  }).href;

  const first = await browser.go('1 GET /auth', 'GET', url);
  let at = await browser.follow(['2 GET login page'], first, url, origin, CALLBACK);
  if (at.callback || at.res.status !== 200) throw new BenchError(`authorize: expected the login page, got ${at.res.status} ${at.callback ?? excerpt(at.res.body)}`);
  const f1 = formOf(at.res.body, 'fiscal_code', 'login page');
  if (!at.res.body.includes('name="password"')) throw new BenchError('login page: no password field beside the user field');
  let postUrl = new URL(f1.action, at.url).href;
  let posted = await browser.go('3 POST user + password', 'POST', postUrl, new URLSearchParams({ ...(f1.csrf ? { csrf: f1.csrf } : {}), fiscal_code: user.fiscalCode, password: user.password }).toString());

  // Pages after the password: a code sent by email, consent; at most a few.
  for (let page = 0; ; page += 1) {
    at = await browser.follow(['4 GET /auth/:uid (resume)', '4b GET next page'], posted, postUrl, origin, CALLBACK);
    if (at.callback) break;
    if (page >= 3 || at.res.status !== 200) throw new BenchError(`login did not reach the callback (${at.res.status} at ${at.url}): ${excerpt(at.res.body)}`);
    const body = at.res.body;
    if (body.includes('name="otp"')) {
      if (!opts.outbox || !user.email) throw new BenchError('a code page, and no outbox to read the code from');
      const f = formOf(body, 'otp', 'code page');
      const code = await opts.outbox.codeFor(user.email);
      postUrl = new URL(f.action, at.url).href;
      posted = await browser.go('5 POST code', 'POST', postUrl, new URLSearchParams({ ...(f.csrf ? { csrf: f.csrf } : {}), otp: code }).toString());
    } else if (!/<input(?![^>]*type="hidden")[^>]*>/.test(body)) {
      // A page whose form asks nothing (consent): its first button.
      const f = formOf(body, undefined, 'consent page');
      postUrl = new URL(f.action, at.url).href;
      posted = await browser.go('5 POST consent', 'POST', postUrl, new URLSearchParams({ ...(f.csrf ? { csrf: f.csrf } : {}) }).toString());
    } else {
      throw new BenchError(`unexpected page after the password (${at.res.status}): ${excerpt(body)}`);
    }
  }

  const tokens = await measured(opts.stats, '6 POST /token (code)', () => oidc.authorizationCodeGrant(rp, new URL(at.callback!), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
  }));
  if (!tokens.id_token) throw new BenchError('token response without id_token');
  return tokens;
}

/** One refresh-token grant; returns the refresh token to use next (rotated or the same). */
export async function refresh(rp: oidc.Configuration, refreshToken: string, stats?: Stats): Promise<string> {
  const tokens = await measured(stats, 'POST /token (refresh)', () => oidc.refreshTokenGrant(rp, refreshToken));
  if (!tokens.access_token) throw new BenchError('refresh response without access_token');
  return tokens.refresh_token ?? refreshToken;
}

/** `concurrency` virtual users run `task` until `count` tasks have run; the first error stops everyone. */
export async function runLoad(concurrency: number, count: number, task: (vu: number, i: number) => Promise<void>, stop: () => boolean = () => false) {
  let started = 0;
  let completed = 0;
  let firstError: unknown;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async (_, vu) => {
    while (!stop() && firstError === undefined && started < count) {
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
