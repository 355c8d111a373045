// A password given to the command line as "-" is read from standard input (not seen in ps).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realRedis, redisUrl, startIdp, type TestIdp } from '../helpers/idp.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp(); });
afterAll(async () => t?.close());

describe.skipIf(!realRedis)('secrets on standard input', () => {
  it('sets the activation password read from standard input', async () => {
    const run = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'company', 'set-activation-password', '12345678', '-'], {
      env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: t.config.redisPrefix }, encoding: 'utf8', input: 'NewAct01\n',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('NewAct01');
    const cred = await t.idp.services.passwords.get('A.12345678', 'activation');
    expect(await t.idp.services.passwords.matches(cred?.hash, 'NewAct01')).toBe(true);
  });
});
