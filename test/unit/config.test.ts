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
