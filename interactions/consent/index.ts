// The consent page for clients that are not first-party (answers oidc-provider's consent prompt).
import { defineMethod } from '../../src/methods/method.ts';
import { consentStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'consent',
  steps: [consentStep],
  strings: { it, en },
});
