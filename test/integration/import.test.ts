// Provisioning: idempotent imports, whole-file rejection with the line and field named.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImport, ImportError, parseImport } from '../../src/provisioning/import.ts';
import { runCli } from '../../src/cli/main.ts';
import { keys } from '../../src/store/keys.ts';
import { TEST_DATA } from '../helpers/data.ts';
import { realRedis, redisUrl, startIdp, type TestIdp } from '../helpers/idp.ts';

let t: TestIdp;
const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-import-'));

beforeAll(async () => { t = await startIdp({ data: null }); });
afterAll(async () => t?.close());

function file(name: string, body: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
}

describe('import', () => {
  it('loads clients, citizens, companies, operators and the default operator', async () => {
    const out = await runCli(['import', file('ok.json', JSON.stringify(TEST_DATA, null, 2))], t.config, t.idp.store);
    expect(out).toMatch(/2 clients, 2 citizens, 1 companies, 2 operators/);
    const s = t.idp.services;
    expect(await s.accounts.findById('C.RSSMRA85T10A562S')).toMatchObject({ type: 'citizen', givenName: 'Mario' });
    expect(await s.accounts.findById('A.12345678')).toMatchObject({ type: 'administrator', companyName: 'ACME S.p.A.' });
    expect(await s.accounts.findById('O.12345678.OPER12345678')).toMatchObject({ type: 'operator' });
    // The default operator's password equals the activation password and must be changed.
    const def = await s.passwords.get('O.12345678.OPER12345678', 'operator');
    expect(def?.mustChange).toBe(true);
    expect(await s.passwords.matches(def?.hash, 'PIPPO138')).toBe(true);
    // The branch-issued administrator password is expired at first use.
    expect((await s.passwords.get('A.12345678', 'administrator'))?.mustChange).toBe(true);
    expect(await t.idp.provider.Client.find('rp')).toBeDefined();
  });

  it('is idempotent: a second import keeps subjects and never undoes a changed password', async () => {
    const s = t.idp.services;
    const before = await s.accounts.findById('C.RSSMRA85T10A562S');
    await s.passwords.set('C.RSSMRA85T10A562S', 'personal', 'Changed-Pass-9', { mustChange: false });
    const out = await runCli(['import', path.join(dir, 'ok.json')], t.config, t.idp.store);
    expect(out).toMatch(/0 initial passwords set/);
    expect((await s.accounts.findById('C.RSSMRA85T10A562S'))?.sub).toBe(before?.sub);
    const cred = await s.passwords.get('C.RSSMRA85T10A562S', 'personal');
    expect(await s.passwords.matches(cred?.hash, 'Changed-Pass-9')).toBe(true);
  });

  it('does not re-enable an operator the administrator disabled', async () => {
    const s = t.idp.services;
    await s.redis.hset(keys.account('O.12345678.MARIO'), 'disabled', '1');
    await runCli(['import', path.join(dir, 'ok.json')], t.config, t.idp.store);
    expect((await s.accounts.findById('O.12345678.MARIO'))?.disabled).toBe(true);
    await s.redis.hset(keys.account('O.12345678.MARIO'), 'disabled', '0');
  });

  it('rejects an invalid file whole, naming the line and the field', async () => {
    const bad = structuredClone(TEST_DATA) as typeof TEST_DATA & { clients: { client_id: string }[] };
    bad.clients[0]!.client_id = 'fresh-client';
    (bad.companies as unknown[]).push({ ...TEST_DATA.companies[0], code: '123' });
    const text = JSON.stringify(bad, null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"code": "123"')) + 1;
    const p = file('bad.json', text);
    await expect(runCli(['import', p], t.config, t.idp.store)).rejects.toThrow(new RegExp(`${p}:${line}: companies\\[1\\]\\.code: company code: 8 digits`));
    expect(await t.idp.provider.Client.find('fresh-client')).toBeUndefined();
  });

  it('names the problem for each kind of mistake', () => {
    const cases: [unknown, RegExp][] = [
      [{ citizens: [{ fiscal_code: 'RSSMRA85T10A562X', password: 'Secret-123' }] }, /citizens\[0\]\.fiscal_code: not a valid fiscal code/],
      [{ citizens: [{ fiscal_code: 'RSSMRA85T10A562S', password: 'weak' }] }, /citizens\[0\]\.password: personal password breaks the policy \(password\.too_short\)/],
      [{ citizens: [TEST_DATA.citizens[0], TEST_DATA.citizens[0]] }, /citizens\[1\]\.fiscal_code: duplicate citizen/],
      [{ companies: [{ ...TEST_DATA.companies[0], admin_password: 'abc' }] }, /admin_password: 10 digits/],
      [{ companies: [{ ...TEST_DATA.companies[0], operators: [{ code: 'OPER12345678', password: 'Abcde1' }] }] }, /default operator/],
      [{ companies: [{ ...TEST_DATA.companies[0], operators: [{ code: 'bad code', password: 'Abcde1' }] }] }, /operator code: 1-20 letters or digits/],
      [{ clients: [{ client_id: 'x', redirect_uris: [] }] }, /clients\[0\]\.redirect_uris/],
      [{ surprise: [] }, /surprise/],
    ];
    for (const [data, says] of cases) {
      expect(() => parseImport(JSON.stringify(data, null, 2), 'f.json', t.idp.services)).toThrow(says);
    }
    expect(() => parseImport('{\n  "clients": [\n    oops\n  ]\n}', 'f.json', t.idp.services)).toThrow(/f\.json:3: not valid JSON/);
  });

  it('refuses a client that oidc-provider would refuse, before writing it', async () => {
    const data = parseImport(JSON.stringify({ clients: [{ client_id: 'weird', client_secret: 'weird-secret-0123456789', redirect_uris: ['http://127.0.0.1:9/cb'], response_types: ['token'] }] }), 'f.json', t.idp.services);
    await expect(applyImport(data, t.idp.services, t.idp.provider)).rejects.toThrow(ImportError);
    expect(await t.idp.store.redis.exists(keys.oidc('Client', 'weird'))).toBe(0);
  });

  // npm run idp runs the compiled CLI: the first run after a change builds dist/ (seconds, more on a busy machine).
  it('works as `npm run idp -- import` against REDIS_URL', { skip: !realRedis, timeout: 180_000 }, () => {
    const run = spawnSync('npm', ['run', '--silent', 'idp', '--', 'import', path.join(dir, 'ok.json')], {
      env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: t.config.redisPrefix }, encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/imported .*ok\.json: 2 clients/);
    const bad = spawnSync('npm', ['run', '--silent', 'idp', '--', 'import', path.join(dir, 'bad.json')], {
      env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: t.config.redisPrefix }, encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/companies\[1\]\.code/);
  });
});
