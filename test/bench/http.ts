// The browser side of the bench: node:http with keep-alive, a tiny cookie jar, regexes instead of an
// HTML parser (so that the load client takes little CPU from the servers), latency per request, and
// an optional probe that reads a server's CPU and Redis commands around every request.
import http from 'node:http';

export class BenchError extends Error {}

let agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function closeAgent(): void {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
}

export interface Res { status: number; location?: string; setCookie: string[]; body: string }

export function request(method: string, url: string, opts: { body?: string; cookie?: string; accept?: string } = {}): Promise<Res> {
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
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, setCookie: res.headers['set-cookie'] ?? [], body: Buffer.concat(chunks).toString('utf8') });
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
export class Jar {
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

export class Stats {
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

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return percentile(values.filter(Number.isFinite), 50);
}

/**
 * Set during the one-user "steps" phase: before and after every request, `read` returns counters
 * (CPU ns of the server's threads, Redis commands) whose differences are summed per request label.
 */
export interface Probe {
  /** Called before (`edge` 'start') and after ('end') each request. */
  read(label?: string, edge?: 'start' | 'end'): Promise<Record<string, number>>;
  sums: Map<string, { n: number; totals: Record<string, number> }>;
}
let probe: Probe | undefined;
export function setProbe(p: Probe | undefined): void { probe = p; }

/** Runs `fn` (one request of a flow) under a label: latency into stats, counters into the probe. */
export async function measured<T>(stats: Stats | undefined, label: string, fn: () => Promise<T>): Promise<T> {
  const before = probe ? await probe.read(label, 'start') : undefined;
  const t0 = performance.now();
  const out = await fn();
  stats?.add(label, performance.now() - t0);
  if (probe && before) {
    const after = await probe.read(label, 'end');
    let acc = probe.sums.get(label);
    if (!acc) probe.sums.set(label, (acc = { n: 0, totals: {} }));
    acc.n += 1;
    for (const [k, v] of Object.entries(after)) acc.totals[k] = (acc.totals[k] ?? 0) + v - (before[k] ?? 0);
  }
  return out;
}

/** A browser: one cookie jar, requests labelled for the stats. */
export class Browser {
  readonly jar = new Jar();
  constructor(private readonly stats?: Stats) {}

  async go(label: string, method: string, url: string, body?: string): Promise<Res> {
    const res = await measured(this.stats, label, () => request(method, url, { body, cookie: this.jar.header(new URL(url).pathname) }));
    this.jar.store(res.setCookie);
    return res;
  }

  /** Follows same-origin redirects; stops at a page or at a redirect to `callback`. */
  async follow(labels: string[], first: Res, from: string, origin: string, callback: string): Promise<{ res: Res; url: string; callback?: string }> {
    let res = first;
    let url = from;
    for (let hop = 0; res.status >= 300 && res.status < 400; hop += 1) {
      if (hop >= 10) throw new BenchError(`too many redirects from ${from}`);
      if (!res.location) throw new BenchError(`redirect without Location from ${url}`);
      const next = new URL(res.location, url).href;
      if (next.startsWith(`${callback}?`)) return { res, url, callback: next };
      if (!next.startsWith(`${origin}/`)) throw new BenchError(`unexpected redirect to ${next}`);
      url = next;
      res = await this.go(labels[hop] ?? 'redirect', 'GET', url);
    }
    return { res, url };
  }
}

/** The page's main form: its action and, when it has one, its csrf field. */
export function formOf(page: string, field: string | undefined, where: string): { action: string; csrf?: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!action || (field && !page.includes(`name="${field}"`))) throw new BenchError(`${where}: no form${field ? ` with ${field}` : ''}: ${excerpt(page)}`);
  return { action: action.replace(/&amp;/g, '&'), csrf };
}

/** What a page says, in short: its alert, else its title, else the start of its text. */
export function excerpt(body: string): string {
  const pick = (re: RegExp) => re.exec(body)?.[1]?.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
  return pick(/role="alert"[^>]*>([\s\S]*?)<\//) || pick(/<h1[^>]*>([\s\S]*?)<\/h1>/) || body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
