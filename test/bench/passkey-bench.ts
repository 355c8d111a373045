// Passkey figure for `npm run bench` (phase "passkey"): the CPU one assertion check costs the
// provider, with the answers recorded from Chromium's virtual authenticator (ES256, see
// test/fixtures/passkey/record.ts). Two figures, in this process, one check at a time:
//   verify  @simplewebauthn/server's verifyAuthenticationResponse alone (parse, hashes, ECDSA P-256)
//   check   the whole server check of the login step: answer schema, the interaction's challenge
//           (GETDEL), the credential (1 read), the signature, and the sign counter's check-and-set
//           with the lock (Lua): what one "verify" call of the page script costs, Redis included
// Standalone: npx tsx test/bench/passkey-bench.ts [seconds] (with redis-server on PATH).
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { createIdp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { passkeyKeys } from '../../interactions/passkey/keys.ts';
import { passkeysOf } from '../../interactions/passkey/passkeys.ts';
import recorded from '../fixtures/passkey/recorded.json' with { type: 'json' };

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** CPU ms of `task`, summed over `n` sequential runs (only while each runs). */
async function cpuOf(n: number, seconds: number, task: (i: number) => Promise<void>, before?: (i: number) => Promise<void>) {
  let cpu = 0;
  let done = 0;
  const until = performance.now() + seconds * 1000;
  for (let i = 0; i < n && performance.now() < until; i += 1) {
    await before?.(i);
    const c0 = process.cpuUsage();
    await task(i);
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    done += 1;
  }
  return { perOp: cpu / done, done };
}

export async function passkeyBench(redisUrl: string, seconds = 3): Promise<string[]> {
  const config = loadConfig({}, {
    redisUrl, redisPrefix: 'bench-passkey:', logLevel: 'silent', demo: false, issuer: recorded.origin, dataKey: recorded.dataKey,
    passkey: { rpId: recorded.rpId, origins: [recorded.origin] },
  });
  const idp = await createIdp(config);
  const s = idp.services;
  try {
    const account = recorded.accountId;
    const passkeys = passkeysOf(s);
    await passkeys.removeAll(account);
    await s.redis.set(passkeyKeys.registration(account), JSON.stringify({ c: recorded.registration.challenge, p: 'register', n: 'bench' }));
    const reg = await passkeys.register(account, recorded.registration.response);
    if (!reg.ok) throw new Error(`passkey bench: registration refused (${reg.reason})`);
    const answer = recorded.assertions[0]!;
    const credential = { id: reg.passkey.id, publicKey: Buffer.from(reg.passkey.publicKey, 'base64url'), counter: 0 };

    const verify = async () => {
      const r = await verifyAuthenticationResponse({
        response: answer.response as AuthenticationResponseJSON, expectedChallenge: answer.challenge,
        expectedOrigin: recorded.origin, expectedRPID: recorded.rpId, credential, requireUserVerification: true,
      });
      if (!r.verified) throw new Error('passkey bench: the recorded answer does not verify');
    };
    for (let i = 0; i < 50; i += 1) await verify(); // warm-up
    const lib = await cpuOf(100_000, seconds, verify);

    // The recorded answer again and again: its challenge is given to the interaction and the stored
    // counter put back before each check (outside the measured part).
    const credKey = passkeyKeys.credential(account, reg.passkey.id);
    const prepare = async (i: number) => {
      await s.redis.multi()
        .set(passkeyKeys.challenge(`bench-${i}`), JSON.stringify({ c: answer.challenge, p: 'second-factor', a: account }), 'EX', 60)
        .hset(credKey, 'counter', '1')
        .exec();
    };
    const check = async (i: number) => {
      const r = await passkeys.check(`bench-${i}`, 'second-factor', answer.response, account);
      if (!r.ok) throw new Error(`passkey bench: check refused (${r.reason})`);
    };
    for (let i = 0; i < 20; i += 1) { await prepare(i); await check(i); }
    const full = await cpuOf(100_000, seconds, check, prepare);
    await passkeys.removeAll(account);
    return [
      `PASSKEY ASSERTION CHECK (ES256, recorded from Chromium's virtual authenticator; one at a time, CPU of this process)`,
      `  verifyAuthenticationResponse   ${fmt(lib.perOp, 3)} CPU ms per check (${lib.done} checks)`,
      `  whole check with Redis         ${fmt(full.perOp, 3)} CPU ms per check (${full.done} checks; 3 Redis commands: GETDEL, HGETALL, the counter's Lua script)`,
    ];
  } finally {
    await idp.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await (await import('./standalone.ts')).runStandalone(passkeyBench, 3);
