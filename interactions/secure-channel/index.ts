// The member's secure channel: its registration at login (required action), the contact change and
// the channel reset with the back office's review, the forgotten password, and the requests command.
import { defineMethod } from '../../src/methods/method.ts';
import { memberAreaAccount } from './account.ts';
import { requestsCommand } from './cli.ts';
import { secureChannelStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };
import pagesEn from './locales/pages.en.json' with { type: 'json' };
import pagesIt from './locales/pages.it.json' with { type: 'json' };

export default defineMethod({
  id: 'secure-channel',
  steps: [secureChannelStep],
  account: memberAreaAccount,
  commands: [requestsCommand],
  strings: { it: { ...it, ...pagesIt }, en: { ...en, ...pagesEn } },
});
