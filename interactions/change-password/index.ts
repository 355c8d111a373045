// Changing a password: the required action of a login (first use, expired) and the self-service page.
import { defineMethod } from '../../src/methods/method.ts';
import { changePasswordAccount } from './account.ts';
import { changePasswordStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };
import selfEn from './locales/self-service.en.json' with { type: 'json' };
import selfIt from './locales/self-service.it.json' with { type: 'json' };

export default defineMethod({
  id: 'change-password',
  steps: [changePasswordStep],
  account: changePasswordAccount,
  strings: { it: { ...it, ...selfIt }, en: { ...en, ...selfEn } },
});
