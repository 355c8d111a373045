// Redis Sentinel: one master, two replicas, three sentinels. The master is killed (SIGKILL, by its
// pid) while users log in; after the failover logins go on, and no counted failure is lost.
//
// What it proves, precisely: with REDIS_WAIT_REPLICAS=1 a failure the IdP answered as counted (401)
// had reached a replica before the answer; the sentinels promote the most up-to-date replica, so it
// is still counted after the failover. Attempts answered otherwise (503 during the failover) may
// or may not have been counted: the count at the end lies between the two. Two replicas, because
// the failover must leave one to acknowledge (with one, every script would be refused until the
// lost server comes back as a replica). No timing is asserted: every wait is a bounded poll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { MARIO, OPERATOR } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, login, relyingParty } from '../helpers/rp.ts';
import { cliAsync, haveRedis, sentinelsSettled, startSentinels, until } from '../helpers/redis-topology.ts';

const MASTER = 'idpmaster';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Skipped, and said so, without redis-server and redis-cli, on the embedded store, or with TEST_TOPOLOGIES=0.
const skip = !haveRedis ? 'no redis-server/redis-cli on PATH' : process.env.TEST_STORE === 'embedded' ? 'TEST_STORE=embedded' : process.env.TEST_TOPOLOGIES === '0' ? 'TEST_TOPOLOGIES=0' : '';
if (skip) console.log(`tests: the Redis Sentinel failover test is skipped (${skip})`);

describe.skipIf(skip !== '')('Redis Sentinel failover', { timeout: 240_000 }, () => {
  let setup: Awaited<ReturnType<typeof startSentinels>>;
  let t: TestIdp;
  let rp: oidc.Configuration;
  const operatorKey = `O.${OPERATOR.company_code}.${OPERATOR.operator_code}`;

  beforeAll(async () => {
    setup = await startSentinels(MASTER, 2);
    t = await startIdp({
      overrides: { redisUrl: undefined, redisSentinels: setup.sentinels, redisSentinelMaster: MASTER, redisCommandTimeoutMs: 4000, redisWaitReplicas: 1, ...(process.env.DEBUG_SENTINEL ? { logLevel: 'warn' } : {}) },
      // Room for every counted failure below without locking the account (a locked one counts no more).
      // The abuse limits are not under test here: out of the way.
      env: { LOCKOUT_THRESHOLD: '100', RATE_LIMIT_ACCOUNT_FAILURES: '1000', RATE_LIMIT_IP_FAILURES: '1000', RATE_LIMIT_SLOW_FAILURES: '1000' },
    });
    rp = await relyingParty(t.issuer);
  }, 120_000);
  afterAll(async () => { await t?.close(); setup?.topology.stop(); });

  /** The master the sentinels name now (its port). */
  async function masterPort(): Promise<number> {
    const out = await cliAsync(Number(setup.sentinels[0]!.split(':')[1]), 'sentinel', 'get-master-addr-by-name', MASTER);
    return Number(out.trim().split('\n')[1]);
  }

  /** A wrong password for the operator: its status (401 when the failure was counted). */
  async function wrongPassword(): Promise<number> {
    const browser = new Browser(t.issuer);
    try {
      const first = await browser.go((await authorizationUrl(rp)).url);
      if (first.status !== 200) return first.status;
      const { password: _, ...name } = OPERATOR;
      return (await browser.submit(first, { ...name, password: 'Wrong1x' })).status;
    } catch {
      return 0;
    }
  }

  const tally = { counted: 0, uncertain: 0 };
  /** Wrong passwords until `n` more were answered as counted (bounded). */
  async function countFailures(n: number): Promise<void> {
    const goal = tally.counted + n;
    await until(`${n} failures counted`, 60_000, async () => {
      const status = await wrongPassword();
      if (status === 401) tally.counted += 1; else tally.uncertain += 1;
      return tally.counted >= goal;
    }, 200);
  }

  it('answers a failure as counted only once the replica has it (REDIS_WAIT_REPLICAS)', async () => {
    // The replicas stop (SIGSTOP, by their pids): the master still counts, no replica can
    // acknowledge, so the IdP fails closed rather than answer as counted.
    for (const r of setup.replicas) r.child.kill('SIGSTOP');
    let status: number;
    try {
      status = await wrongPassword();
    } finally {
      for (const r of setup.replicas) r.child.kill('SIGCONT');
    }
    expect(status).toBe(503);
    tally.uncertain += 1;
    // Back in sync, and seen healthy by every sentinel, before the failover test.
    await sentinelsSettled(MASTER, setup.replicas, setup.sentinels);
    await countFailures(1);
  });

  it('keeps logging users in after the master is killed, with every counted failure kept', async () => {
    await countFailures(3);
    expect((await login(new Browser(t.issuer), rp, MARIO)).id_token).toBeTruthy();

    // A login load; the master dies in the middle of it.
    const load = { ok: 0, refused: 0, okAfter: 0, killed: false, stop: false };
    const running = (async () => {
      for (let i = 0; !load.stop && i < 10_000; i += 1) {
        // A wrong password too, so that failures are counted right up to the kill and across it.
        if ((await wrongPassword()) === 401) tally.counted += 1; else tally.uncertain += 1;
        try {
          await login(new Browser(t.issuer), rp, MARIO);
          load.ok += 1;
          if (load.killed) load.okAfter += 1;
        } catch (err) {
          if (load.refused % 20 === 0 || process.env.DEBUG_SENTINEL) console.log(`during the failover: ${(err as Error).message.slice(0, 120)}`);
          load.refused += 1;
          await sleep(200);
        }
      }
    })();
    try {
      await until('a login under load', 60_000, () => load.ok >= 2);
      // Kill whichever server the sentinels name master now (normally the first one).
      const before = await masterPort();
      const servers = [setup.master, ...setup.replicas];
      const victim = servers.find((n) => n.port === before)!;
      setup.topology.kill(victim);
      load.killed = true;
      const killedAt = Date.now();

      let promoted = 0;
      await until('the sentinels name another master', 90_000, async () => {
        promoted = await masterPort();
        return promoted !== before && servers.some((n) => n.port === promoted);
      }, 250);
      await until('the promoted replica answers as master', 30_000, async () => /^master/.test(await cliAsync(promoted, 'role')), 250);
      await until('logins go on after the failover', 90_000, () => load.okAfter >= 3, 250).catch(async (err: unknown) => {
        // What the servers and sentinels say, to tell a stuck failover from a stuck client.
        for (const n of servers.filter((x) => x !== victim)) console.log(`${n.port}: ${(await cliAsync(n.port, 'info', 'replication')).replace(/\r?\n/g, ' ')}`);
        console.log(`sentinel: ${(await cliAsync(Number(setup.sentinels[0]!.split(':')[1]), 'sentinel', 'master', MASTER)).replace(/\n/g, ' ')}`);
        throw err;
      });
      console.log(`sentinel failover: ${load.ok} logins, ${load.refused} refused during the failover, ${load.okAfter} after it (${Date.now() - killedAt} ms after the kill)`);
    } finally {
      load.stop = true;
      await running;
    }
    expect(load.okAfter).toBeGreaterThanOrEqual(3);

    await countFailures(3);
    const failures = (await t.idp.services.passwords.get(operatorKey, 'operator'))?.failures ?? 0;
    // Every failure answered as counted is still counted; an attempt answered otherwise may be.
    expect(failures).toBeGreaterThanOrEqual(tally.counted);
    expect(failures).toBeLessThanOrEqual(tally.counted + tally.uncertain);
  });
});
