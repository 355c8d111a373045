// The static files every page uses, served from this server (the pages' CSP allows nothing else):
// the stylesheet, the brand's stylesheet (its colours as CSS variables, from the configuration), the
// logo, and the one script (show-password toggle, copy button, code countdown). Each URL carries a
// hash of its content, so a new version is fetched at once and an old one may be cached long.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import { ConfigError, type Config } from '../config.ts';

const LOGO_MAX_BYTES = 256 * 1024;

interface Asset { body: Buffer; type: string; url: string }

export interface AssetUrls { style: string; brand: string; script: string; logo: string }

/** Darker shade of a #rrggbb colour (hover and pressed states). */
function darker(hex: string, by = 0.2): string {
  const c = [1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - by)));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function logoType(data: Buffer): string | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  const head = data.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'image/svg+xml';
  return undefined;
}

function readLogo(file: string): { body: Buffer; type: string } {
  let body: Buffer;
  try {
    if (statSync(file).size > LOGO_MAX_BYTES) throw new ConfigError(`invalid setting BRAND_LOGO (brand.logo): ${file} is larger than 256 KiB`);
    body = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid setting BRAND_LOGO (brand.logo): cannot read ${file}: ${(err as Error).message}`);
  }
  const type = logoType(body);
  if (!type) throw new ConfigError(`invalid setting BRAND_LOGO (brand.logo): ${file} is neither an SVG nor a PNG image`);
  return { body, type };
}

export class Assets {
  private readonly byName: Record<keyof AssetUrls, Asset>;

  constructor(root: string, config: Config) {
    const dir = path.join(root, 'views', 'assets');
    const { brand } = config;
    const brandCss = [
      '/* Generated from the configuration (BRAND_* settings). */',
      ':root {',
      `  --brand-primary: ${brand.primaryColor};`,
      `  --brand-primary-dark: ${darker(brand.primaryColor)};`,
      `  --brand-background: ${brand.backgroundColor};`,
      '}',
      '',
    ].join('\n');
    const logo = brand.logo ? readLogo(path.resolve(brand.logo)) : { body: readFileSync(path.join(dir, 'logo.svg')), type: 'image/svg+xml' };
    const make = (name: string, body: Buffer, type: string): Asset => {
      const v = createHash('sha256').update(body).digest('base64url').slice(0, 10);
      return { body, type, url: `/assets/${name}?v=${v}` };
    };
    this.byName = {
      style: make('style.css', readFileSync(path.join(dir, 'style.css')), 'text/css; charset=utf-8'),
      brand: make('brand.css', Buffer.from(brandCss), 'text/css; charset=utf-8'),
      script: make('app.js', readFileSync(path.join(dir, 'app.js')), 'text/javascript; charset=utf-8'),
      logo: make('logo', logo.body, logo.type),
    };
  }

  get urls(): AssetUrls {
    const out = {} as AssetUrls;
    for (const [name, a] of Object.entries(this.byName)) out[name as keyof AssetUrls] = a.url;
    return out;
  }

  routes(router: Router): void {
    for (const asset of Object.values(this.byName)) {
      router.get(asset.url.replace(/\?.*$/, ''), (ctx) => {
        ctx.type = asset.type;
        // Versioned URLs never change: cache them for a day; a bare URL for an hour.
        ctx.set('cache-control', `public, max-age=${ctx.query.v ? 86400 : 3600}`);
        // An SVG opened on its own is a document: it may run nothing and load nothing.
        if (asset.type === 'image/svg+xml') ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
        ctx.body = asset.body;
      });
    }
  }
}
