// Transaction signing: Rich Authorization Requests for payments (RFC 9396) and their confirmation
// with the dispositive password and a code bound to the payment (PSD2 dynamic linking).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { defineMethod } from '../../src/methods/method.ts';
import { detailsDigest } from './codes.ts';
import { PAYMENT_KEYS } from './keys.ts';
import { confirmedDigest, paymentProvider, rawDetails } from './oidc.ts';
import { paymentCodeIssue } from './scripts.ts';
import { paymentSettings } from './settings.ts';
import { paymentStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'payment',
  steps: [paymentStep],
  settings: paymentSettings,
  keys: PAYMENT_KEYS,
  scripts: [paymentCodeIssue],
  strings: { it, en },
  prompts: [{
    name: 'payment',
    description: 'authorization_details must be confirmed by the user',
    check(ctx: KoaContextWithOIDC) {
      const raw = rawDetails(ctx);
      return !!raw && confirmedDigest(ctx) !== detailsDigest(raw);
    },
  }],
  provider: paymentProvider,
});
