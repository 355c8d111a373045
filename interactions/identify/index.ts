// Who is logging in: fiscal code, or company code and operator code (the first step of every level).
import { defineMethod } from '../../src/methods/method.ts';
import { identifyStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'identify',
  steps: [identifyStep],
  strings: { it, en },
});
