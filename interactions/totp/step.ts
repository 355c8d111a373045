// Authenticator-app step (second factor): the 6-digit code of the user's TOTP app. Wrong code, a code
// already used and a locked app look alike here; the audit log tells them apart.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';
import { totpOf } from './devices.ts';
import { totpKeys } from './keys.ts';
import { totpSettings } from './settings.ts';

export const code = z.string({ error: 'form.invalid' }).max(16, { error: 'form.too_long' })
  .transform((v) => v.replace(/\s+/g, '')).pipe(z.string().regex(/^\d{6}$/, { error: 'totp.format' }));

const form = z.object({ totp: code });

export const totpStep = defineStep({
  id: 'totp',
  kind: 'login',
  slot: 'second-factor',
  // RFC 8176: a one-time password from a software-held key; distinct from email ["otp"], SMS
  // ["otp","sms"] and the Security Card ["otp","pop"].
  amr: ['otp', 'swk'],
  requiresUser: true,
  form,
  async configuredFor(ctx, account) {
    return (await ctx.services.redis.exists(totpKeys.device(account.id))) === 1;
  },
  async render() {
    return { view: 'interactions/totp/page' };
  },
  async action(ctx, f) {
    const account = ctx.account;
    const rejected = { type: 'failure' as const, page: { view: 'interactions/totp/page', error: 'totp.rejected', errorParams: { max: totpSettings.of(ctx.services.config).maxFailures } } };
    if (!account) return rejected;
    const result = await totpOf(ctx.services).verify(account.id, f.totp);
    if (result.outcome === 'ok') {
      await ctx.audit({ event: 'login.totp', outcome: 'success' });
      return { type: 'success' };
    }
    await ctx.audit({ event: 'login.totp', outcome: 'failure', reason: result.outcome });
    if (result.outcome === 'locked_now') await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: 'totp' });
    return rejected;
  },
});
