// The CA's public URLs: /pki/ca.pem (the CA certificate) and /pki/crl (the DER CRL the issued
// certificates name as their distribution point), and the page scripts of the activation, served
// from our own origin (node-forge's browser bundle and ours).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Services } from '../../src/services.ts';
import { caOf } from './ca.ts';
import { refreshCrl } from './crl-store.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The scripts, read once: node-forge's browser bundle (from its package) and the activation page's. */
const ASSETS: Record<string, () => string> = {
  'forge.min.js': () => readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('node-forge/package.json')), 'dist', 'forge.min.js'), 'utf8'),
  'activate.js': () => readFileSync(path.join(HERE, 'assets', 'activate.js'), 'utf8'),
};

/**
 * A bound on CRL requests per client address, in this process: a storm gets 429s (the CRL itself
 * is cached, so this protects the connection slots more than the work).
 */
export class RequestBudget {
  private window = 0;
  private readonly counts = new Map<string, number>();
  constructor(private readonly perMinute: number, private readonly now: () => number) {}
  take(who: string): boolean {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.window || this.counts.size > 50_000) {
      this.window = minute;
      this.counts.clear();
    }
    const n = (this.counts.get(who) ?? 0) + 1;
    this.counts.set(who, n);
    return n <= this.perMinute;
  }
}

export const CRL_REQUESTS_PER_MINUTE = 120;

export function pkiRoutes(router: Router, s: Services): void {
  const budget = new RequestBudget(CRL_REQUESTS_PER_MINUTE, () => s.clock.now());
  const cache = new Map<string, string>();

  router.get('/pki/ca.pem', async (ctx) => {
    const ca = await caOf(s);
    ctx.type = 'application/x-pem-file';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.set('content-disposition', 'inline; filename="ca.pem"');
    ctx.body = ca.pem;
  });

  router.get('/pki/crl', async (ctx: Koa.Context) => {
    if (!budget.take(ctx.ip)) {
      ctx.status = 429;
      ctx.set('retry-after', '60');
      ctx.type = 'text/plain';
      ctx.body = 'Too many CRL requests from this address: try again in a minute.\n';
      return;
    }
    const crl = await refreshCrl(s);
    const etag = `"crl-${crl.number}"`;
    ctx.set('etag', etag);
    ctx.set('last-modified', new Date(crl.thisUpdate).toUTCString());
    ctx.set('expires', new Date(crl.nextUpdate).toUTCString());
    ctx.set('cache-control', 'public, max-age=300');
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/pkix-crl';
    ctx.body = crl.der;
  });

  router.get('/certificate/assets/:name', (ctx) => {
    const name = ctx.params.name ?? '';
    const load = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!load) return ctx.throw(404, 'error.not_found');
    let text = cache.get(name);
    if (text === undefined) {
      text = load();
      cache.set(name, text);
    }
    ctx.type = 'application/javascript';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = text;
  });
}
