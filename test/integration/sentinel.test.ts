// Redis Sentinel: one master, one replica, three sentinels. The master is killed (SIGKILL, by its
// pid) while users log in; after the failover logins go on, and no counted failure is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { MARIO, OPERATOR } from '../helpers/data.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, login, relyingParty } from '../helpers/rp.ts';
import { cli, haveRedis, startSentinels } from '../helpers/redis-topology.ts';

const MASTER = 'idpmaster';

describe.skipIf(!haveRedis || process.env.TEST_TOPOLOGIES !== '1')('Redis Sentinel failover', { timeout: 120_000 }, () => {
  let setup: Awaited<ReturnType<typeof startSentinels>>;
  let t: TestIdp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    setup = await startSentinels(MASTER);
    t = await startIdp({ overrides: { redisUrl: undefined, redisSentinels: setup.sentinels, redisSentinelMaster: MASTER, redisCommandTimeoutMs: 1000 } });
    rp = await relyingParty(t.issuer);
  });
  afterAll(async () => { await t?.close(); setup?.topology.stop(); });

  /** A wrong password for the operator: 401 when it was counted, anything else when not. */
  async function wrongPassword(): Promise<number> {
    const browser = new Browser(t.issuer);
    const first = await browser.go((await authorizationUrl(rp)).url);
    if (first.status !== 200) return first.status;
    const { password: _, ...name } = OPERATOR;
    return (await browser.submit(first, { ...name, password: 'Wrong1x' })).status;
  }

  it('keeps logging users in after the master is killed, with every counted failure kept', async () => {
    let counted = 0;
    for (let i = 0; i < 3; i += 1) if ((await wrongPassword()) === 401) counted += 1;
    expect(counted).toBe(3);
    expect((await login(new Browser(t.issuer), rp, MARIO)).id_token).toBeTruthy();

    // A login load, and the master dies in the middle of it.
    let ok = 0;
    let unavailable = 0;
    let killedAt = 0;
    let okAfter = 0;
    const until = Date.now() + 60_000;
    for (let i = 0; Date.now() < until && okAfter < 3; i += 1) {
      if (i === 2) { setup.topology.kill(setup.master); killedAt = Date.now(); }
      try {
        await login(new Browser(t.issuer), rp, MARIO);
        ok += 1;
        if (killedAt) okAfter += 1;
      } catch (err) {
        if (unavailable % 20 === 0) console.log(`during the failover: ${(err as Error).message.slice(0, 120)}`);
        unavailable += 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(killedAt).toBeGreaterThan(0);
    expect(okAfter).toBe(3);
    // The replica is the master now.
    expect(cli(setup.replica.port, 'role')).toMatch(/^master/);
    for (let i = 0; i < 3; i += 1) if ((await wrongPassword()) === 401) counted += 1;
    expect(counted).toBe(6);
    expect((await t.idp.services.passwords.get(`O.${OPERATOR.company_code}.${OPERATOR.operator_code}`, 'operator'))?.failures).toBe(counted);
    console.log(`sentinel failover: ${ok} logins, ${unavailable} refused during the failover (${Date.now() - killedAt} ms after the kill)`);
  });
});
