// The server side of passkeys with answers recorded from Chromium's virtual authenticator
// (test/fixtures/passkey/record.ts): each recorded challenge is put where the IdP keeps the
// interaction's, then the answer is checked. Wrong origin, wrong RP id, a replayed or foreign
// challenge, an unknown credential, malformed client data, a counter going backwards and a model not
// on the list are refused; refusals of a known user count toward the lock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdp, type Idp } from '../../src/app.ts';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import type { Services } from '../../src/services.ts';
import { passkeyAccount } from '../../interactions/passkey/account.ts';
import { passkeyCommand } from '../../interactions/passkey/cli.ts';
import { passkeyKeys } from '../../interactions/passkey/keys.ts';
import { amrOf, passkeysOf, type Purpose } from '../../interactions/passkey/passkeys.ts';
import { passkeySettings } from '../../interactions/passkey/settings.ts';
import recorded from '../fixtures/passkey/recorded.json' with { type: 'json' };
import { Browser } from '../helpers/browser.ts';
import { CALLBACK, MARIO, TEST_DATA } from '../helpers/data.ts';
import { startIdp, testConfig, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty } from '../helpers/rp.ts';

const ACCOUNT = recorded.accountId;
const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';
const [first, second, third] = recorded.assertions as [typeof recorded.assertions[0], typeof recorded.assertions[0], typeof recorded.assertions[0]];
const PASSKEY = { rpId: recorded.rpId, origins: [recorded.origin], maxFailures: 4 };

let idp: Idp;
let s: Services;
beforeAll(async () => {
  idp = await createIdp(testConfig({ dataKey: recorded.dataKey, passkey: PASSKEY }));
  s = idp.services;
  await applyImport(parseImport(JSON.stringify(TEST_DATA), 'test', s), s, idp.provider);
});
afterAll(async () => idp?.close());

/** The same services with other passkey settings (another deployment's view of the same answers). */
function withSettings(change: Record<string, unknown>): Services {
  return { ...s, config: { ...s.config, methods: { ...s.config.methods, passkey: { ...passkeySettings.of(s.config), ...change } } } };
}

async function plant(uid: string, purpose: Purpose, challenge: string, accountId?: string) {
  await s.redis.set(passkeyKeys.challenge(uid), JSON.stringify({ c: challenge, p: purpose, a: accountId }));
}

async function register(services = s, response: unknown = recorded.registration.response, challenge = recorded.registration.challenge) {
  await s.redis.set(passkeyKeys.registration(ACCOUNT), JSON.stringify({ c: challenge, p: 'register', n: 'Recorded laptop' }));
  return passkeysOf(services).register(ACCOUNT, response);
}

const failures = async () => (await passkeysOf(s).state(ACCOUNT)).failures;
let n = 0;
const uid = () => `rec-${n += 1}`;

beforeEach(async () => {
  await passkeysOf(s).removeAll(ACCOUNT);
  const r = await register();
  expect(r.ok).toBe(true);
});

describe('recorded passkey answers', () => {
  it('registers the recorded passkey, then accepts its answers as a second factor and passwordless', async () => {
    const [p] = await passkeysOf(s).list(ACCOUNT);
    expect(p).toMatchObject({ name: 'Recorded laptop', aaguid: VIRTUAL_AAGUID, fmt: 'none', counter: 1, transports: ['internal'], disabled: false });

    const a = uid();
    await plant(a, 'second-factor', first.challenge, ACCOUNT);
    const ok = await passkeysOf(s).check(a, 'second-factor', first.response, ACCOUNT);
    expect(ok.ok && amrOf(ok)).toEqual(['hwk', 'user']);

    const b = uid();
    await plant(b, 'passwordless', second.challenge);
    const alone = await passkeysOf(s).check(b, 'passwordless', second.response);
    expect(alone).toMatchObject({ ok: true, accountId: ACCOUNT, userVerified: true });
    expect((await passkeysOf(s).get(ACCOUNT, first.response.id))?.counter).toBe(3);
  });

  it('refuses a replayed challenge, and a challenge that belongs to another interaction', async () => {
    const a = uid();
    await plant(a, 'second-factor', first.challenge, ACCOUNT);
    expect((await passkeysOf(s).check(a, 'second-factor', first.response, ACCOUNT)).ok).toBe(true);
    // The same answer again: the challenge was taken by the first check.
    expect(await passkeysOf(s).check(a, 'second-factor', first.response, ACCOUNT)).toMatchObject({ ok: false, reason: 'expired' });
    // This interaction's challenge is another one: an answer made for another login is refused and counted.
    const b = uid();
    await plant(b, 'second-factor', third.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(b, 'second-factor', second.response, ACCOUNT)).toMatchObject({ ok: false, reason: 'challenge' });
    expect(await failures()).toBe(1);
    // A second-factor challenge is not a passwordless one.
    const c = uid();
    await plant(c, 'second-factor', second.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(c, 'passwordless', second.response)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses an answer for another origin or another RP id', async () => {
    const a = uid();
    await plant(a, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(withSettings({ origins: ['https://login.bank.example'] })).check(a, 'second-factor', first.response, ACCOUNT))
      .toMatchObject({ ok: false, reason: 'wrong_origin' });
    const b = uid();
    await plant(b, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(withSettings({ rpId: 'bank.example' })).check(b, 'second-factor', first.response, ACCOUNT))
      .toMatchObject({ ok: false, reason: 'wrong_rp' });
    expect(await failures()).toBe(2);
    // Registration too.
    await passkeysOf(s).removeAll(ACCOUNT);
    expect(await register(withSettings({ origins: ['https://login.bank.example'] }))).toMatchObject({ ok: false, reason: 'wrong_origin' });
    expect(await register(withSettings({ rpId: 'bank.example' }))).toMatchObject({ ok: false, reason: 'wrong_rp' });
  });

  it('locks the passkey whose sign counter goes backwards, and refuses it afterwards', async () => {
    const a = uid();
    await plant(a, 'second-factor', second.challenge, ACCOUNT);
    expect((await passkeysOf(s).check(a, 'second-factor', second.response, ACCOUNT)).ok).toBe(true);
    const b = uid();
    await plant(b, 'passwordless', first.challenge);
    expect(await passkeysOf(s).check(b, 'passwordless', first.response)).toMatchObject({ ok: false, reason: 'counter', accountId: ACCOUNT, lockedNow: true });
    expect((await passkeysOf(s).get(ACCOUNT, first.response.id))?.disabled).toBe(true);
    // Even a genuine later answer is refused now: the passkey must be removed.
    const c = uid();
    await plant(c, 'second-factor', third.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(c, 'second-factor', third.response, ACCOUNT)).toMatchObject({ ok: false, reason: 'disabled' });

    // A counter that stays the same: the very answer again, its challenge given out once more.
    await passkeysOf(s).removeAll(ACCOUNT);
    expect((await register()).ok).toBe(true);
    for (const expected of [{ ok: true }, { ok: false, reason: 'counter' }]) {
      const d = uid();
      await plant(d, 'second-factor', third.challenge, ACCOUNT);
      expect(await passkeysOf(s).check(d, 'second-factor', third.response, ACCOUNT)).toMatchObject(expected);
    }
    expect((await passkeysOf(s).get(ACCOUNT, third.response.id))?.disabled).toBe(true);
  });

  it('refuses an unknown credential and malformed client data', async () => {
    const other = { ...first.response, id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', rawId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const a = uid();
    await plant(a, 'passwordless', first.challenge);
    expect(await passkeysOf(s).check(a, 'passwordless', other)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(await failures()).toBe(0); // nobody to count it for
    const b = uid();
    await plant(b, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(b, 'second-factor', other, ACCOUNT)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(await failures()).toBe(1); // Mario's second factor: counted

    const garbled = { ...first.response, response: { ...first.response.response, clientDataJSON: Buffer.from('{"type":"webauthn.get",').toString('base64url') } };
    const c = uid();
    await plant(c, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(c, 'second-factor', garbled, ACCOUNT)).toMatchObject({ ok: false, reason: 'malformed' });
    for (const bad of [null, 'x', { id: 'x' }, { ...first.response, type: 'password' }, { ...first.response, id: 'not base64url!' }]) {
      expect(await passkeysOf(s).check(uid(), 'second-factor', bad, ACCOUNT)).toMatchObject({ ok: false, reason: 'malformed' });
    }
    const tampered = { ...first.response, response: { ...first.response.response, signature: second.response.response.signature } };
    const d = uid();
    await plant(d, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(d, 'second-factor', tampered, ACCOUNT)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('locks the passkeys after the configured number of refused answers, until unlocked', async () => {
    const wrong = passkeysOf(withSettings({ origins: ['https://login.bank.example'] }));
    let last;
    for (let i = 0; i < 4; i += 1) {
      const a = uid();
      await plant(a, 'second-factor', first.challenge, ACCOUNT);
      last = await wrong.check(a, 'second-factor', first.response, ACCOUNT);
    }
    expect(last).toMatchObject({ reason: 'wrong_origin', lockedNow: true });
    const a = uid();
    await plant(a, 'second-factor', first.challenge, ACCOUNT);
    expect(await passkeysOf(s).check(a, 'second-factor', first.response, ACCOUNT)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await passkeysOf(s).unlock(ACCOUNT)).toBe(true);
    const b = uid();
    await plant(b, 'second-factor', first.challenge, ACCOUNT);
    expect((await passkeysOf(s).check(b, 'second-factor', first.response, ACCOUNT)).ok).toBe(true);
  });

  it('registers a challenge once, a credential once, and with attestation direct only the listed models', async () => {
    expect(await passkeysOf(s).register(ACCOUNT, recorded.registration.response)).toMatchObject({ ok: false, reason: 'expired' });
    expect(await register()).toMatchObject({ ok: false, reason: 'duplicate' });
    await passkeysOf(s).removeAll(ACCOUNT);
    const direct = withSettings({ attestation: 'direct', authenticators: ['00000000-0000-0000-0000-000000000001'] });
    expect(await register(direct, recorded.direct.response, recorded.direct.challenge)).toMatchObject({ ok: false, reason: 'model' });
    const listed = withSettings({ attestation: 'direct', authenticators: [VIRTUAL_AAGUID] });
    // A passkey without attestation ("none") proves no model.
    expect(await register(listed)).toMatchObject({ ok: false, reason: 'model' });
    expect(await register(listed, recorded.direct.response, recorded.direct.challenge)).toMatchObject({ ok: true, passkey: { fmt: 'packed', aaguid: VIRTUAL_AAGUID } });
  });
});

describe('the counter and the credentials page', () => {
  it('lists, unlocks and removes from the CLI; "delete mobile credentials" removes every passkey', async () => {
    const ctx = { config: s.config, idp: async () => idp };
    const listed = JSON.parse(await passkeyCommand.run(['list', 'RSSMRA85T10A562S'], { json: true }, ctx)) as { passkeys: Record<string, unknown>[] };
    expect(listed.passkeys).toMatchObject([{ id: first.response.id, name: 'Recorded laptop', aaguid: VIRTUAL_AAGUID }]);
    expect(listed.passkeys[0]).not.toHaveProperty('publicKey');
    await expect(passkeyCommand.run(['unlock', 'RSSMRA85T10A562S'], {}, ctx)).rejects.toThrow(/not locked/);
    await expect(passkeyCommand.run(['remove', 'RSSMRA85T10A562S'], {}, ctx)).rejects.toThrow(/--id/);
    expect(await passkeyCommand.run(['remove', 'RSSMRA85T10A562S'], { id: first.response.id }, ctx)).toMatch(/removed the passkey/);
    expect(await passkeysOf(s).count(ACCOUNT)).toBe(0);

    expect((await register()).ok).toBe(true);
    expect(await passkeyAccount.removeMobileCredential!(ACCOUNT, s)).toBe(true);
    expect(await passkeysOf(s).list(ACCOUNT)).toEqual([]);
    expect(await s.redis.get(passkeyKeys.owner(first.response.id))).toBeNull();
    expect(await passkeyAccount.removeMobileCredential!(ACCOUNT, s)).toBe(false);
    // Its answers are refused from then on.
    const a = uid();
    await plant(a, 'passwordless', first.challenge);
    expect(await passkeysOf(s).check(a, 'passwordless', first.response)).toMatchObject({ ok: false, reason: 'unknown' });
  });
});

describe('recorded answers through the login', () => {
  let t: TestIdp;
  beforeAll(async () => {
    t = await startIdp({
      overrides: { dataKey: recorded.dataKey, passkey: PASSKEY },
      data: { ...TEST_DATA, clients: [...TEST_DATA.clients, { client_id: 'pk', client_secret: 'pk-secret-0123456789', redirect_uris: [CALLBACK], first_party: true, accepted_methods: ['passkey'] }] },
    });
  });
  afterAll(async () => t?.close());

  it('answers the page script in JSON, audits each answer, and finishes with the form: amr pwd hwk user', async () => {
    const ts = t.idp.services;
    await passkeysOf(ts).removeAll(ACCOUNT);
    await ts.redis.set(passkeyKeys.registration(ACCOUNT), JSON.stringify({ c: recorded.registration.challenge, p: 'register', n: 'Recorded' }));
    expect((await passkeysOf(ts).register(ACCOUNT, recorded.registration.response)).ok).toBe(true);

    const rp = await relyingParty(t.issuer, 'pk', 'pk-secret-0123456789');
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const page = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(page.doc.querySelector('#passkey')?.getAttribute('data-mode')).toBe('second-factor');
    const endpoint = new URL(page.doc.querySelector('form[method=post]')!.getAttribute('action')!, t.url).href;
    const csrf = page.doc.querySelector('input[name=csrf]')!.getAttribute('value')!;
    const post = async (body: unknown, headers: Record<string, string> = { 'x-csrf-token': csrf }) => {
      const res = await browser.raw(endpoint, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', accept: 'application/json', ...headers } });
      return { status: res.status, body: await res.json().catch(() => undefined) as Record<string, unknown> | undefined };
    };
    expect((await post({ op: 'options' }, {})).status).toBe(403); // no form token
    const options = await post({ op: 'options' });
    expect(options.status).toBe(200);
    expect((options.body!.options as { allowCredentials: { id: string }[] }).allowCredentials.map((c) => c.id)).toEqual([first.response.id]);

    // The recorded answer was made for another challenge than this interaction's.
    const foreign = await post({ op: 'verify', response: first.response });
    expect(foreign.status).toBe(401);
    expect(foreign.body!.error).toMatch(/expired|already used/);
    // The interaction's challenge is now the recorded one (as if the browser had been given it).
    const uid = new URL(endpoint).pathname.split('/').pop()!;
    await plant2(ts, uid, first.challenge);
    const verified = await post({ op: 'verify', response: first.response });
    expect(verified).toEqual({ status: 200, body: { ok: true } });
    const done = await browser.submit(page, { op: 'finish' });
    expect(done.left).toBeDefined();
    expect((await exchange(rp, started, done.left!)).claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'hwk', 'user'] });

    const events = await ts.audit.recent(20, { event: 'login.passkey', subject: ACCOUNT });
    expect(events.map((e) => `${e.outcome} ${e.reason}`)).toEqual(expect.arrayContaining(['failure challenge', 'success verified hwk user']));
  });
});

async function plant2(services: Services, uid: string, challenge: string) {
  await services.redis.set(passkeyKeys.challenge(uid), JSON.stringify({ c: challenge, p: 'second-factor', a: ACCOUNT }));
}
