// The payment confirmation's settings (config methods.payment).
import { z } from 'zod';
import { defineSettings, int, str } from '../../src/settings.ts';

export const paymentSettings = defineSettings({
  id: 'payment',
  schema: z.object({
    maxBatch: z.number().int().min(1).max(1000),
    maxDetailsBytes: z.number().int().min(256).max(65536),
    codeValiditySeconds: z.number().int().min(30).max(900),
    // Unset: ISSUER + /payments.
    resource: z.url().optional(),
  }),
  defaults: { maxBatch: 100, maxDetailsBytes: 16384, codeValiditySeconds: 300 },
  env: [
    { env: 'PAYMENT_MAX_BATCH', path: 'maxBatch', parse: int, doc: 'payments one payment_initiation_batch may carry (default 100)' },
    { env: 'PAYMENT_MAX_DETAILS_BYTES', path: 'maxDetailsBytes', parse: int, doc: 'largest authorization_details parameter accepted, in bytes; larger is invalid_authorization_details (default 16384)' },
    { env: 'PAYMENT_RESOURCE', path: 'resource', parse: str, doc: 'resource indicator (RFC 8707) of the payments API: the audience of access tokens that carry authorization_details, given to requests with details and no resource (default ISSUER/payments)' },
    { env: 'PAYMENT_CODE_TTL', path: 'codeValiditySeconds', parse: int, doc: 'seconds the one-time code of a payment confirmation is valid (default 300)' },
  ],
});
