// The password posted with the user's name is read together with the account (one round trip), and
// the check stays what it was: a credential changed after that read is refused, a read is used once,
// for the account and kind it was made for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp(); });
afterAll(async () => t?.close());

const ID = 'C.RSSMRA85T10A562S';

describe('password read ahead of its check', () => {
  it('is used once, for its account and kind; a password changed since is refused (stale), and counted nowhere', async () => {
    const p = t.idp.services.passwords;
    const request = {};
    p.readAhead(request, ID, 'personal');
    expect(await p.verify(ID, 'personal', 'Secret-123', { ahead: request })).toMatchObject({ ok: true });

    // Read ahead, then changed before the check: the old password matches what was read, and the
    // check's script finds the credential changed.
    const later = {};
    p.readAhead(later, ID, 'personal');
    await new Promise((r) => setTimeout(r, 20));
    await p.set(ID, 'personal', 'Changed-456', { mustChange: false });
    expect(await p.verify(ID, 'personal', 'Secret-123', { ahead: later })).toMatchObject({ ok: false, reason: 'stale' });
    // The read is gone: the next check reads the new credential.
    expect(await p.verify(ID, 'personal', 'Changed-456', { ahead: later })).toMatchObject({ ok: true });
    expect((await p.get(ID, 'personal'))?.failures).toBe(0);

    // A read for another account or kind is not taken for this one.
    const other = {};
    p.readAhead(other, 'C.VRDGPP80A01H501U', 'personal');
    expect(await p.verify(ID, 'personal', 'Changed-456', { ahead: other })).toMatchObject({ ok: true });
    p.readAhead(other, ID, 'operator');
    expect(await p.verify(ID, 'personal', 'Changed-456', { ahead: other })).toMatchObject({ ok: true });
  });

  // Watches the commands as ioredis sends them to a real Redis.
  it('a login with user and password on one page reads the account and the password in the same round trip', { skip: !realRedis }, async () => {
    const redis = t.idp.services.redis;
    const events: string[] = [];
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string; args: unknown[]; promise: Promise<unknown> }, ...rest: unknown[]) => {
      const key = String(command.args[0]);
      if (command.name === 'hgetall') {
        events.push(`send ${key}`);
        command.promise.then(() => events.push(`reply ${key}`), () => undefined);
      }
      return (original as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.sendCommand;
    try {
      const { Browser } = await import('../helpers/browser.ts');
      const { authorizationUrl, enterCredentials, relyingParty } = await import('../helpers/rp.ts');
      const rp = await relyingParty(t.issuer);
      const browser = new Browser(t.issuer);
      const started = await authorizationUrl(rp);
      const done = await enterCredentials(browser, await browser.go(started.url), { fiscal_code: 'VRDGPP80A01H501U', password: 'Primo-Accesso-1' });
      expect(done.html ?? '').toMatch(/new_password/); // first use: on to the change, so the password was right
    } finally {
      redis.sendCommand = original;
    }
    // Both reads went out before either answer came back.
    const account = 'acct:{C.VRDGPP80A01H501U}';
    const sendCred = events.findIndex((x) => x.startsWith('send') && x.endsWith(`${account}:cred:personal`));
    const sendAccount = events.findIndex((x) => x.startsWith('send') && x.endsWith(account));
    const firstReply = events.findIndex((x) => x.startsWith('reply') && (x.endsWith(account) || x.endsWith(`${account}:cred:personal`)));
    expect(sendCred, events.join('\n')).toBeGreaterThanOrEqual(0);
    expect(sendAccount, events.join('\n')).toBeGreaterThanOrEqual(0);
    expect(Math.max(sendCred, sendAccount), events.join('\n')).toBeLessThan(firstReply);
  });
});
