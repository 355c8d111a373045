// Redis Cluster: every script or transaction that touches several keys touches keys of one hash
// slot. The scripts say how many keys they take; the ones that take several are listed here with
// the keys their callers pass, and those keys must share their hash tag. In the `cluster` test
// project the same flows also run on a real 3-master cluster, which refuses any cross-slot command.
import { describe, expect, it } from 'vitest';
import { keys } from '../../src/store/keys.ts';
import { defineScripts } from '../../src/store/scripts.ts';
import { totpKeys } from '../../interactions/totp/keys.ts';
import { passkeyKeys } from '../../interactions/passkey/keys.ts';
import { methods } from '../../interactions/index.ts';
import { Cluster } from 'ioredis';
import { redisCluster, startIdp } from '../helpers/idp.ts';
import { cli } from '../helpers/redis-topology.ts';

/** The part of a key Redis Cluster hashes: the first non-empty {...}, else the whole key. */
function hashed(key: string): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

// Scripts with more than one key, and the keys their callers pass (src/otp/one-time-codes.ts).
const MULTI_KEY: Record<string, (id: string) => string[]> = {
  otpCheck: (id) => [keys.otp(id, 'login'), keys.credential(id, 'personal')],
  passkeyAssert: (id) => [passkeyKeys.account(id), passkeyKeys.credential(id, 'AAAA')],
};
// Transactions (MULTI) over several keys (interactions/totp/devices.ts).
const TRANSACTIONS: Record<string, (id: string) => string[]> = {
  'totp confirm': (id) => [totpKeys.device(id), totpKeys.pending(id)],
};

describe('hash slots', () => {
  it('lists every script that takes several keys (the methods\' too; theirs also check at every call)', () => {
    const defined: Record<string, number> = {};
    defineScripts({ defineCommand: (name: string, def: { numberOfKeys: number }) => { defined[name] = def.numberOfKeys; } } as never);
    for (const m of methods) for (const sc of m.scripts ?? []) defined[sc.name] = sc.numberOfKeys;
    const multi = Object.entries(defined).filter(([, n]) => n > 1).map(([name]) => name).sort();
    expect(multi).toEqual(Object.keys(MULTI_KEY).sort());
  });

  it('gives the keys of each such script and transaction one hash tag (so one slot), for any account', () => {
    for (const id of ['C.RSSMRA85T10A562S', 'O.12345678.MARIO', 'A.12345678']) {
      for (const make of [...Object.values(MULTI_KEY), ...Object.values(TRANSACTIONS)]) {
        const tags = new Set(make(id).map((k) => hashed(`idp:${k}`)));
        expect(tags.size).toBe(1);
        expect([...tags][0]).toBe(id);
      }
    }
  });

  it.runIf(redisCluster !== '')('runs on a real cluster, whose keys spread over its masters', async () => {
    const t = await startIdp();
    try {
      const cluster = t.idp.store.redis as unknown as Cluster;
      expect(cluster).toBeInstanceOf(Cluster);
      const sizes = redisCluster.split(',').map((node) => Number(cli(Number(node.split(':')[1]), 'dbsize').trim()));
      expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await t.close();
    }
  });
});
