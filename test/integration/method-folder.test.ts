// A login method is one folder and one line: the throwaway method in test/fixtures/methods/pin/ is
// added to the list of installed methods, and with no other file touched its setting is read from
// the environment, its key is in the key table, its command is on the CLI, its strings are shown,
// and a user logs in with it at a level the configuration names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../../interactions/index.ts';
import { allSettings, ConfigError, loadConfig } from '../../src/config.ts';
import { createIdp } from '../../src/app.ts';
import { loadCommands } from '../../src/cli/main.ts';
import { keyTable } from '../../src/store/keys.ts';
import { defineMethod } from '../../src/methods/method.ts';
import pin from '../fixtures/methods/pin/index.ts';
import { Browser } from '../helpers/browser.ts';
import { MARIO } from '../helpers/data.ts';
import { startIdp, testConfig, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, enterCredentials, exchange, relyingParty } from '../helpers/rp.ts';

const withPin = [...methods, pin];
const LEVELS = JSON.stringify([
  { acr: 'urn:idp:loa:1', steps: ['identify', 'password'] },
  { acr: 'urn:idp:loa:2', steps: ['identify', 'password', '<second-factor>'] },
  { acr: 'urn:test:pin', steps: ['identify', 'password', 'pin'] },
]);

describe('a method from a test-only folder, through the list', () => {
  let t: TestIdp;
  beforeAll(async () => {
    t = await startIdp({ env: { PIN_VALUE: '97531', LEVELS }, options: { methods: withPin } });
  });
  afterAll(async () => t?.close());

  it('brings its setting, key, command and strings', async () => {
    expect(allSettings(withPin).find((s) => s.env === 'PIN_VALUE')?.path).toBe('methods.pin.value');
    expect(t.config.methods.pin).toEqual({ value: '97531' });
    expect(keyTable(withPin).map((k) => k.key)).toContain('acct:{ID}:pin');
    expect((await loadCommands(withPin)).has('pin')).toBe(true);
    expect((await loadCommands(methods)).has('pin')).toBe(false);
    expect(t.idp.services.views.strings.t('it', 'method.pin')).toBe('PIN di prova');
  });

  it('logs in with it at the level that names it, and counts a wrong PIN with its own script', async () => {
    const rp = await relyingParty(t.issuer);
    expect(rp.serverMetadata().acr_values_supported).toContain('urn:test:pin');
    const browser = new Browser(t.issuer, 'it');
    const started = await authorizationUrl(rp, { acr_values: 'urn:test:pin' });
    const pinPage = await enterCredentials(browser, await browser.go(started.url), MARIO);
    expect(pinPage.title).toContain('Il tuo PIN');
    const wrong = await browser.submit(pinPage, { pin: '2468' });
    expect(wrong.status).toBe(401);
    expect(wrong.alert).toContain('PIN errato');
    const accountId = `C.${MARIO.fiscal_code}`;
    expect(await t.idp.services.redis.hget(`acct:{${accountId}}:pin`, 'failures')).toBe('1');
    const done = await browser.submit(wrong, { pin: '97531' });
    expect(done.left).toBeDefined();
    const tokens = await exchange(rp, started, done.left!);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:test:pin', amr: ['pwd', 'pin'] });
  });

  it('fills the second-factor slot too, with no level naming it', async () => {
    const rp = await relyingParty(t.issuer);
    const browser = new Browser(t.issuer);
    const started = await authorizationUrl(rp, { acr_values: 'urn:idp:loa:2' });
    const next = await enterCredentials(browser, await browser.go(started.url), MARIO);
    // Mario has no other second factor set up: the PIN is asked straight away.
    expect(next.title).toContain('Your PIN');
    const done = await browser.submit(next, { pin: '97531' });
    expect((await exchange(rp, started, done.left!)).claims()).toMatchObject({ acr: 'urn:idp:loa:2', amr: ['pwd', 'pin'] });
  });
});

describe('installed methods and the level table are checked at start', () => {
  it('refuses a level that names a step no method provides', async () => {
    const config = testConfig({}, { LEVELS: JSON.stringify([{ acr: 'urn:idp:loa:1', steps: ['identify', 'password'] }, { acr: 'urn:idp:loa:2', steps: ['identify', 'fingerprint', 'password'] }]) });
    await expect(createIdp(config)).rejects.toThrow(/level urn:idp:loa:2: no installed method provides the step fingerprint/);
  });
  it('refuses a method whose strings are in one language only', async () => {
    const half = defineMethod({ id: 'half', strings: { it: { 'half.x': 'x' }, en: {} } });
    await expect(createIdp(testConfig({}, {}, [...methods, half]), { methods: [...methods, half] })).rejects.toThrow(/method half: strings missing: en:half.x/);
  });
  it('refuses a method installed twice, and settings loaded without the method', async () => {
    await expect(createIdp(testConfig({}, {}, [...methods, pin, pin]), { methods: [...methods, pin, pin] })).rejects.toThrow(/method pin: installed twice/);
    await expect(createIdp(testConfig(), { methods: withPin })).rejects.toThrow(/method pin: the configuration was loaded without its settings/);
  });
  it('names a method\'s setting by its environment variable when it is wrong', () => {
    expect(() => loadConfig({ PIN_VALUE: 'abc' }, {}, withPin)).toThrow(/invalid setting PIN_VALUE \(methods\.pin\.value\)/);
    expect(() => loadConfig({ CARD_MAX_FAILURES: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ CARD_MAX_FAILURES: '0' })).toThrow(/CARD_MAX_FAILURES/);
  });
  it('still reads a method\'s settings at their old place in CONFIG_FILE-style input', () => {
    expect(loadConfig({}, { card: { singleUseCells: true } }).methods.card).toEqual({ maxFailures: 7, singleUseCells: true });
  });
});
