// Payment confirmation figure for `npm run bench` (phase "payment"): the CPU one confirmed payment
// costs, in one process (the IdP on a loopback port, the relying party and the browser of
// test/helpers driving it; the bench's own client work is included, so the figure is an upper
// bound for the provider). One confirmation at a time, a signed-in operator (SSO session):
// authorize with authorization_details → the confirmation page (a code bound to the details, sent
// to the outbox) → the dispositive password and the code → the code exchanged at /token, whose
// answer must carry the details. Beside it, the Argon2id verify of the dispositive password alone,
// which the confirmation pays once.
// Standalone: npx tsx test/bench/payment-bench.ts [seconds] (with redis-server on PATH).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIdp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { freePort } from '../global-setup.ts';
import { Browser } from '../helpers/browser.ts';
import { OPERATOR } from '../helpers/data.ts';
import { details, PAYMENT_DATA, paymentDetail, rpFor } from '../helpers/payment-data.ts';
import { authorizationUrl, enterCredentials, exchange } from '../helpers/rp.ts';

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

export async function paymentBench(redisUrl: string, seconds = 5): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-bench-payment-'));
  const outbox = path.join(dir, 'outbox.jsonl');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = loadConfig({}, {
    redisUrl, redisPrefix: `bench-payment-${process.pid}:`, logLevel: 'silent', demo: false, host: '127.0.0.1', port, issuer,
    delivery: { outboxFile: outbox },
    rateLimit: { ipFailures: 1_000_000, ipWindowSeconds: 60, accountFailures: 1_000_000, accountWindowSeconds: 60, slowFailures: 1_000_000, slowWindowDays: 1 },
  });
  const idp = await createIdp(config);
  try {
    await applyImport(parseImport(JSON.stringify(PAYMENT_DATA), 'bench', idp.services), idp.services, idp.provider);
    await idp.listen(port, '127.0.0.1');
    const rp = await rpFor(issuer, 'treasury');
    const browser = new Browser(issuer);
    const code = () => {
      const lines = readFileSync(outbox, 'utf8').trim().split('\n');
      writeFileSync(outbox, '');
      return (JSON.parse(lines.at(-1)!) as { code: string }).code;
    };
    const confirm = async (i: number) => {
      const amount = `${1 + (i % 997)}.${String(i % 100).padStart(2, '0')}`;
      const started = await authorizationUrl(rp, details(paymentDetail(amount)));
      let page = await browser.go(started.url);
      if (page.doc.querySelector('input[name=password]')) page = await enterCredentials(browser, page, OPERATOR);
      const done = await browser.submit(page, { dispositive_password: 'Disp0s1', otp: code() });
      if (!done.left) throw new Error(`payment bench: not confirmed (${done.status}: ${done.alert ?? ''})`);
      const tokens = await exchange(rp, started, done.left);
      if ((tokens.authorization_details as { instructedAmount: { amount: string } }[] | undefined)?.[0]?.instructedAmount.amount !== amount) throw new Error('payment bench: the token does not carry the payment');
    };
    for (let i = 0; i < 10; i += 1) await confirm(i); // warm-up (and the operator's sign-in)
    let cpu = 0;
    let n = 0;
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    while (performance.now() < until) {
      const c0 = process.cpuUsage();
      await confirm(1000 + n);
      cpu += cpuMs(process.cpuUsage(c0));
      n += 1;
    }
    const wall = (performance.now() - t0) / n;

    const cred = await idp.services.passwords.get('O.12345678.MARIO', 'dispositive');
    let argon = 0;
    const runs = 30;
    for (let i = 0; i < runs; i += 1) {
      const c0 = process.cpuUsage();
      await idp.services.passwords.matches(cred!.hash, 'Disp0s1');
      argon += cpuMs(process.cpuUsage(c0));
    }
    return [
      'PAYMENT CONFIRMATION (one at a time; IdP, relying party and browser in this process)',
      `  confirmed payments             ${n} in ${fmt(seconds, 0)} s, ${fmt(wall, 1)} ms each (authorize, page, code, confirmation, token)`,
      `  CPU per confirmed payment      ${fmt(cpu / n, 1)} ms (client side included: an upper bound for the provider)`,
      `  of which Argon2id verify       ${fmt(argon / runs, 1)} ms (the dispositive password, once per confirmation)`,
    ];
  } finally {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(paymentBench, 5);
