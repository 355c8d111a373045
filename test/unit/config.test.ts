import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('runs with no configuration at all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', demo: true, production: false });
    expect(c.redisUrl).toBeUndefined();
  });
  it('derives the issuer from PORT and turns the demo off in production', () => {
    expect(loadConfig({ PORT: '4000' }).issuer).toBe('http://localhost:4000');
    const key = '22'.repeat(32);
    expect(loadConfig({ NODE_ENV: 'production', DATA_KEY: key }).demo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DATA_KEY: key, DEMO: '1' }).demo).toBe(true);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATA_KEY/);
    expect(() => loadConfig({ DATA_KEY: 'nope' })).toThrow(/DATA_KEY/);
  });
  it('stops with a message naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT \(port\)/);
    expect(() => loadConfig({ ISSUER: 'not a url' })).toThrow(/ISSUER/);
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '1024' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ LOCKOUT_THRESHOLD: '0' })).toThrow(/LOCKOUT_THRESHOLD/);
    expect(() => loadConfig({ DEFAULT_ACR: 'urn:nope' })).toThrow(ConfigError);
    expect(() => loadConfig({ COOKIE_KEYS: 'short' })).toThrow(/COOKIE_KEYS/);
    expect(() => loadConfig({ BACKOFFICE_ACR: 'urn:idp:loa:9' })).toThrow(/BACKOFFICE_ACR/);
  });
  it('reads CONFIG_FILE and lets the environment win', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-config-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 5000, passwords: { operator: { maxFailures: 3 } } }));
    const c = loadConfig({ CONFIG_FILE: file, PORT: '5001' });
    expect(c.port).toBe(5001);
    expect(c.passwords.operator.maxFailures).toBe(3);
    expect(c.passwords.operator.minLength).toBe(5);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(/CONFIG_FILE/);
  });
});

describe('levels', () => {
  it('refuses a level whose password step comes before the user is identified', async () => {
    const { createIdp } = await import('../../src/app.ts');
    const { testConfig } = await import('../helpers/idp.ts');
    const config = testConfig({ levels: [{ acr: 'urn:idp:loa:1', steps: ['password', 'identify'] }], backofficeAcr: 'urn:idp:loa:1', strongAcr: 'urn:idp:loa:1' });
    await expect(createIdp(config)).rejects.toThrow(/level urn:idp:loa:1: password needs an identified user/);
  });
});

describe('brand', () => {
  it('takes the bank\'s name, colours and footer links from the environment', () => {
    const c = loadConfig({ BRAND_NAME: 'Banca Aurora', BRAND_PRIMARY_COLOR: '#7A1F3D', BRAND_PRIVACY_URL: 'https://www.example.org/privacy', BRAND_CONTACT_URL: 'tel:+39 02 1234567' });
    expect(c.brand).toMatchObject({ name: 'Banca Aurora', primaryColor: '#7a1f3d', helpUrl: '/help', privacyUrl: 'https://www.example.org/privacy', contactUrl: 'tel:+39 02 1234567' });
    expect(loadConfig({}).brand).toEqual({ primaryColor: '#0b5394', backgroundColor: '#eef2f6', helpUrl: '/help' });
  });

  it('refuses colours a person could not read, and links that are not links', () => {
    // Yellow buttons with white text; a dark background under dark text.
    expect(() => loadConfig({ BRAND_PRIMARY_COLOR: '#ffd700' })).toThrow(/BRAND_PRIMARY_COLOR \(brand.primaryColor\): needs a contrast of at least 4.5:1/);
    expect(() => loadConfig({ BRAND_BACKGROUND_COLOR: '#333333' })).toThrow(/BRAND_BACKGROUND_COLOR/);
    expect(() => loadConfig({ BRAND_PRIMARY_COLOR: 'blue' })).toThrow(/#rrggbb/);
    expect(() => loadConfig({ BRAND_HELP_URL: 'javascript:alert(1)' })).toThrow(/BRAND_HELP_URL/);
    expect(() => loadConfig({ BRAND_PRIVACY_URL: '//evil.example/x' })).toThrow(/BRAND_PRIVACY_URL/);
  });

  it('serves the configured logo, and stops on a file that is not an SVG or PNG image', async () => {
    const { Assets } = await import('../../src/http/assets.ts');
    const { ROOT } = await import('../../src/app.ts');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-logo-'));
    const svg = path.join(dir, 'logo.svg');
    writeFileSync(svg, '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>');
    expect(new Assets(ROOT, loadConfig({ BRAND_LOGO: svg })).urls.logo).toMatch(/^\/assets\/logo\?v=[\w-]{10}$/);
    const png = path.join(dir, 'logo.png');
    writeFileSync(png, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]));
    expect(() => new Assets(ROOT, loadConfig({ BRAND_LOGO: png }))).not.toThrow();
    const html = path.join(dir, 'logo.html');
    writeFileSync(html, '<html><script>alert(1)</script></html>');
    expect(() => new Assets(ROOT, loadConfig({ BRAND_LOGO: html }))).toThrow(/BRAND_LOGO \(brand.logo\): .* neither an SVG nor a PNG/);
    expect(() => new Assets(ROOT, loadConfig({ BRAND_LOGO: path.join(dir, 'missing.svg') }))).toThrow(/BRAND_LOGO \(brand.logo\): cannot read/);
    const big = path.join(dir, 'big.png');
    writeFileSync(big, Buffer.alloc(300 * 1024));
    expect(() => new Assets(ROOT, loadConfig({ BRAND_LOGO: big }))).toThrow(/larger than 256 KiB/);
  });
});
