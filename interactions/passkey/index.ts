// Passkeys (WebAuthn): a phishing-resistant second factor, a passwordless sign-in beside the identify
// page, their registration and management on the credentials page, and their back-office commands.
import { defineMethod } from '../../src/methods/method.ts';
import { passkeyAccount } from './account.ts';
import { passkeyCommand } from './cli.ts';
import { PASSKEY_KEYS } from './keys.ts';
import { passwordlessStep } from './passwordless.ts';
import { passkeyAssert, passkeyFailure } from './scripts.ts';
import { passkeySettings } from './settings.ts';
import { passkeyStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'passkey',
  steps: [passkeyStep, passwordlessStep],
  account: passkeyAccount,
  commands: [passkeyCommand],
  settings: passkeySettings,
  keys: PASSKEY_KEYS,
  scripts: [passkeyAssert, passkeyFailure],
  strings: { it, en },
});
