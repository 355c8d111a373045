// `npm start` as a newcomer runs it: embedded store said first, demo data, the /demo relying party.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { realRedis, redisUrl, uniquePrefix } from '../helpers/idp.ts';
import { runToExit, startServer, type Started } from '../helpers/process.ts';

// A key that looks random (production refuses one of low entropy, like '11'.repeat(32)).
const KEY = '3f9a1c7e52b04d8e96a2f1c03b7d5e49a8c61f20e4b39d7a05c8e2f61b94d3a7';
let server: Started;
const outbox = path.join(mkdtempSync(path.join(os.tmpdir(), 'idp-outbox-')), 'outbox.jsonl');
beforeAll(async () => { server = await startServer({ OUTBOX_FILE: outbox }); });
afterAll(async () => server?.stop());

describe('npm start with no configuration', () => {
  it('says in its first log line that it runs on the embedded store', () => {
    expect(JSON.parse(server.lines[0]!).msg).toMatch(/embedded in-process store/);
  });

  it('lets a newcomer log in through /demo with the demo data and shows the ID token claims', async () => {
    const browser = new Browser(server.url);
    const home = await browser.go(`${server.url}/demo`);
    expect(home.status).toBe(200);
    expect(home.html).toContain('urn:idp:loa:1');
    const identify = await browser.go(`${server.url}/demo/login?acr=urn:idp:loa:1`);
    const password = await browser.submit(identify, { fiscal_code: 'RSSMRA85T10A562S' });
    const result = await browser.submit(password, { password: 'Secret-123' });
    expect(result.status).toBe(200);
    const claims = JSON.parse(result.doc.querySelector('#id-token-claims')!.text) as Record<string, unknown>;
    expect(claims).toMatchObject({ acr: 'urn:idp:loa:1', amr: ['pwd'] });
    expect(claims.auth_time).toEqual(expect.any(Number));
    const userinfo = JSON.parse(result.doc.querySelector('#userinfo')!.text) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ given_name: 'Mario', family_name: 'Rossi', fiscal_code: 'RSSMRA85T10A562S' });
  });

  it('reaches loa:2 through /demo with the code the outbox received', async () => {
    const browser = new Browser(server.url);
    const identify = await browser.go(`${server.url}/demo/login?acr=urn:idp:loa:2`);
    const code = await browser.submit(identify, { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123' });
    expect(code.doc.querySelector('input[name=otp]')).toBeTruthy();
    const lines = readFileSync(outbox, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { channel: string; to: string; code?: string });
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ channel: 'email', to: 'mario.rossi@example.org' });
    const result = await browser.submit(code, { otp: last.code! });
    const claims = JSON.parse(result.doc.querySelector('#id-token-claims')!.text) as Record<string, unknown>;
    expect(claims).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'otp'] });
  });

  it('serves pages with a strict content security policy and no inline script', async () => {
    const res = await fetch(`${server.url}/demo`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    // One script, from this server's /assets/, and nothing inline.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBe(1);
    expect(scripts[0]![1]).toMatch(/src="\/assets\/app\.js\?v=[\w-]+"/);
    expect(scripts[0]![2]!.trim()).toBe('');
    expect(html).not.toMatch(/\son[a-z]+=|style=|javascript:/i);
    expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('the command line without REDIS_URL', () => {
  it('says that it needs the Redis the servers use, and how to run one', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'company', 'list'], { env: { ...process.env, REDIS_URL: '' }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/REDIS_URL is unset/);
    expect(run.stderr).toMatch(/embedded store inside its own process/);
    expect(run.stderr).toContain('REDIS_URL=redis://127.0.0.1:6379 npm start');
  });
});

describe('start-up errors', () => {
  it('stops with the line and field of an invalid --import file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-start-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{\n  "citizens": [\n    { "fiscal_code": "nope", "password": "Secret-123" }\n  ]\n}\n');
    const { code, output } = await runToExit({}, ['--import', file]);
    expect(code).toBe(1);
    expect(output).toContain(`cannot start: ${file}:3: citizens[0].fiscal_code: not a valid fiscal code`);
  });

  it('stops with the setting named when a value is wrong', async () => {
    const { code, output } = await runToExit({ ARGON2_TIME_COST: '1' }, []);
    expect(code).toBe(1);
    expect(output).toMatch(/cannot start: invalid setting ARGON2_TIME_COST/);
  });

  it('in production mode serves no demo and needs a real Redis', async () => {
    const { code, output } = await runToExit({ NODE_ENV: 'production', DATA_KEY: KEY, ISSUER: 'https://idp.example' }, []);
    expect(code).toBe(1);
    expect(output).toMatch(/production mode needs a real Redis/);
    const noKey = await runToExit({ NODE_ENV: 'production' }, []);
    expect(noKey.output).toMatch(/invalid setting DATA_KEY \(dataKey\): required in production/);
  });

  it('in production mode on Redis loads no demo data and has no /demo', { skip: !realRedis }, async () => {
    const prod = await startServer({ NODE_ENV: 'production', DATA_KEY: KEY, REDIS_URL: redisUrl, REDIS_PREFIX: uniquePrefix(), ISSUER: 'https://idp.example' });
    try {
      expect(JSON.parse(prod.lines[0]!).msg).toBe('store: Redis');
      expect((await fetch(`${prod.url}/demo`)).status).toBe(404);
      expect(prod.lines.some((l) => l.includes('"imported"'))).toBe(false);
    } finally {
      await prod.stop();
    }
  });
});
