// The password of the identified user, of the kind that follows the account.
import { defineMethod } from '../../src/methods/method.ts';
import { passwordStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'password',
  steps: [passwordStep],
  strings: { it, en },
});
