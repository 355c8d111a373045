// A one-time code on the member's secure channel (email or SMS), as a second factor.
import { defineMethod } from '../../src/methods/method.ts';
import { otpStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'otp',
  steps: [otpStep],
  strings: { it, en },
});
