// The authenticator app's settings (config methods.totp).
import { z } from 'zod';
import { defineSettings, int, str } from '../../src/settings.ts';

export const totpSettings = defineSettings({
  id: 'totp',
  schema: z.object({
    maxFailures: z.number().int().min(1).max(100),
    // Unset: the brand's name (BRAND_NAME).
    issuer: z.string().min(1).max(60).optional(),
    resyncSteps: z.number().int().min(1).max(480),
  }),
  defaults: { maxFailures: 7, resyncSteps: 20 },
  env: [
    { env: 'TOTP_MAX_FAILURES', path: 'maxFailures', parse: int, doc: 'consecutive wrong authenticator-app codes that lock the app (default 7)' },
    { env: 'TOTP_ISSUER', path: 'issuer', parse: str, doc: 'issuer name the authenticator app shows (default: BRAND_NAME)' },
    { env: 'TOTP_RESYNC_STEPS', path: 'resyncSteps', parse: int, doc: 'how far "synchronise" looks for the app\'s two codes, in 30-second steps either side (default 20)' },
  ],
});
