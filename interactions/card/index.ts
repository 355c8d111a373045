// The Security Card: a printed grid as a second factor, its reprint when used up (single-use mode),
// its self-service pages and its counter commands.
import { defineMethod } from '../../src/methods/method.ts';
import { cardAccount } from './account.ts';
import { cardCommand } from './cli.ts';
import { CARD_KEYS } from './keys.ts';
import { cardReprint } from './reprint.ts';
import { cardAnswer, cardChallenge } from './scripts.ts';
import { cardSettings } from './settings.ts';
import { cardStep } from './step.ts';
import en from './locales/en.json' with { type: 'json' };
import it from './locales/it.json' with { type: 'json' };

export default defineMethod({
  id: 'card',
  steps: [cardStep, cardReprint],
  account: cardAccount,
  commands: [cardCommand],
  settings: cardSettings,
  keys: CARD_KEYS,
  scripts: [cardChallenge, cardAnswer],
  strings: { it, en },
});
