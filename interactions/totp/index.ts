// The authenticator app (TOTP): a second factor, its set-up and synchronisation on the credentials
// page, and its back-office commands.
import { defineMethod } from '../../src/methods/method.ts';
import { totpAccount } from './account.ts';
import { totpCommand } from './cli.ts';
import { TOTP_KEYS } from './keys.ts';
import { totpAnswer, totpResync } from './scripts.ts';
import { totpSettings } from './settings.ts';
import { totpStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'totp',
  steps: [totpStep],
  account: totpAccount,
  commands: [totpCommand],
  settings: totpSettings,
  keys: TOTP_KEYS,
  scripts: [totpAnswer, totpResync],
  strings: { it, en },
});
