// The Security Card's settings (config methods.card).
import { z } from 'zod';
import { bool, defineSettings, int } from '../../src/settings.ts';

export const cardSettings = defineSettings({
  id: 'card',
  schema: z.object({
    maxFailures: z.number().int().min(1).max(100),
    // NIST SP 800-63B look-up secrets: each cell is accepted once; a used-up card must be reprinted.
    singleUseCells: z.boolean(),
  }),
  defaults: { maxFailures: 7, singleUseCells: false },
  env: [
    { env: 'CARD_MAX_FAILURES', path: 'maxFailures', parse: int, doc: 'consecutive wrong Security Card answers that lock the card (default 7)' },
    { env: 'CARD_SINGLE_USE_CELLS', path: 'singleUseCells', parse: bool, doc: 'NIST SP 800-63B mode: each card cell is accepted once; a card with fewer than two unused cells must be reprinted (default false)' },
  ],
});
