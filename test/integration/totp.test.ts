// The authenticator app: ±1 step window, replays refused across processes, synchronise, lockout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from 'otplib';
import { ManualClock } from '../../src/clock.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { enrolApp, MARIO_ID, SF_DATA, totpCode } from '../helpers/second-factor-data.ts';
import { totpOf } from '../../interactions/totp/devices.ts';
import { runCli } from '../../src/cli/main.ts';

const STEP = 30_000;
// Half-way through a time step, so "one step earlier/later" is unambiguous.
const clock = new ManualClock(Math.floor(Date.now() / STEP) * STEP + STEP / 2);
let a: TestIdp;
let b: TestIdp;

beforeAll(async () => {
  a = await startIdp({ data: SF_DATA, options: { clock } });
  b = await startIdp({ data: null, overrides: { redisPrefix: a.config.redisPrefix, issuer: a.issuer }, options: { clock } });
});
afterAll(async () => { await b?.close(); await a?.close(); });

const verify = (t: TestIdp, code: string) => totpOf(t.idp.services).verify(MARIO_ID, code);

describe('authenticator app codes', () => {
  it('accepts the codes of the previous, current and next time step, not two steps away', async () => {
    const secret = await enrolApp(a);
    clock.advance(10 * STEP);
    const now = clock.now();
    expect((await verify(a, await totpCode(secret, now - 2 * STEP))).outcome).toBe('wrong');
    expect((await verify(a, await totpCode(secret, now + 2 * STEP))).outcome).toBe('wrong');
    expect((await verify(a, await totpCode(secret, now - STEP))).outcome).toBe('ok');
    expect((await verify(a, await totpCode(secret, now))).outcome).toBe('ok');
    expect((await verify(a, await totpCode(secret, now + STEP))).outcome).toBe('ok');
  });

  it('refuses a code already used, on this process or another, and an earlier one after a later', async () => {
    const secret = await enrolApp(a);
    clock.advance(10 * STEP);
    const code = await totpCode(secret, clock.now());
    const results = await Promise.all([verify(a, code), verify(b, code), verify(a, code), verify(b, code)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['ok', 'replay', 'replay', 'replay']);
    expect((await verify(b, await totpCode(secret, clock.now() - STEP))).outcome).toBe('replay');
    expect((await verify(b, await totpCode(secret, clock.now() + STEP))).outcome).toBe('ok');
  });

  it('refuses the codes of another secret', async () => {
    await enrolApp(a);
    clock.advance(10 * STEP);
    const other = generateSecret();
    for (const d of [-1, 0, 1]) expect((await verify(a, await totpCode(other, clock.now() + d * STEP))).outcome).not.toBe('ok');
  });

  it('locks after the 7th consecutive wrong code; then the right one is refused until unlocked', async () => {
    const secret = await enrolApp(a);
    clock.advance(10 * STEP);
    const right = await totpCode(secret, clock.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const outcomes = [];
    for (let i = 0; i < 7; i += 1) outcomes.push((await verify(i % 2 ? a : b, wrong)).outcome);
    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'locked_now']);
    expect((await verify(a, right)).outcome).toBe('locked');
    // A failure counted against the account's abuse limits (as the app's login page counts a wrong code).
    await a.idp.services.limits.attempt({ ip: '10.9.1.1', account: MARIO_ID, slow: true });
    const counters = [`rl:acct:{${MARIO_ID}}`, `rl:slow:{${MARIO_ID}}`];
    expect(await a.idp.store.redis.exists(...counters)).toBe(2);
    await expect(runCli(['totp', 'unlock', 'BNCGPP80A01H501E'], a.config, a.idp.store)).rejects.toThrow(/no such user/);
    expect(await runCli(['totp', 'unlock', 'RSSMRA85T10A562S'], a.config, a.idp.store)).toMatch(/unlocked the authenticator app/);
    expect(await a.idp.store.redis.exists(...counters)).toBe(0);
    expect((await a.idp.services.audit.recent(200, { subject: MARIO_ID, event: 'credential.unlock' })).at(-1)).toMatchObject({ actor: 'cli', reason: 'totp' });
    expect((await verify(a, right)).outcome).toBe('ok');
  });

  it('synchronises a phone whose clock is off with two consecutive codes', async () => {
    const secret = await enrolApp(a);
    clock.advance(10 * STEP);
    const phone = () => clock.now() + 5 * 60_000; // five minutes ahead
    expect((await verify(a, await totpCode(secret, phone()))).outcome).toBe('wrong');
    const devices = totpOf(a.idp.services);
    // Not consecutive: refused.
    expect(await devices.resync(MARIO_ID, await totpCode(secret, phone()), await totpCode(secret, phone() + 2 * STEP))).toBe('not_found');
    expect(await devices.resync(MARIO_ID, await totpCode(secret, phone()), await totpCode(secret, phone() + STEP))).toBe('ok');
    // The same pair again is a replay.
    expect(await devices.resync(MARIO_ID, await totpCode(secret, phone()), await totpCode(secret, phone() + STEP))).toBe('replay');
    clock.advance(2 * STEP);
    expect((await verify(b, await totpCode(secret, phone()))).outcome).toBe('ok');
    // Too far off to find (beyond TOTP_RESYNC_STEPS): refused.
    const far = () => clock.now() + 60 * 60_000;
    expect(await devices.resync(MARIO_ID, await totpCode(secret, far()), await totpCode(secret, far() + STEP))).toBe('not_found');
  });

  it('keeps the secret sealed at rest', async () => {
    const secret = await enrolApp(a);
    const stored = await a.idp.services.redis.hgetall(`acct:{${MARIO_ID}}:totp`);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored.secret).toMatch(/^v1\./);
    expect(await runCli(['totp', 'remove', 'RSSMRA85T10A562S'], a.config, a.idp.store)).toMatch(/removed/);
    expect(await totpOf(a.idp.services).status(MARIO_ID)).toBeUndefined();
  });
});
