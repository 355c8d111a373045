// What the two login steps share: the page script's three calls (options, verify, finish), as JSON
// results of the step contract, and the messages of a refusal.
import { z } from 'zod';
import type { StepContext, StepResult } from '../../src/flow/step.ts';
import { passkeysOf, type CheckResult, type Purpose, type Refusal } from './passkeys.ts';
import { passkeySettings } from './settings.ts';

/** The page script's posts: a challenge (options), the browser's answer (verify), then the form (finish). */
export const loginForm = z.discriminatedUnion('op', [
  z.object({ op: z.literal('options') }),
  z.object({ op: z.literal('verify'), response: z.unknown() }),
  z.object({ op: z.literal('finish') }),
], { error: 'passkey.not_verified' });
export type LoginForm = z.infer<typeof loginForm>;

/** A verified answer, kept in the step's state until the page posts its form (finish). */
export const loginState = z.object({ accountId: z.string(), credential: z.string(), amr: z.array(z.string()) });
export type LoginState = z.infer<typeof loginState>;

const MESSAGES: Record<Refusal, string> = {
  malformed: 'passkey.malformed', expired: 'passkey.expired', unknown: 'passkey.unknown', wrong_origin: 'passkey.wrong_site',
  wrong_rp: 'passkey.wrong_site', challenge: 'passkey.expired', signature: 'passkey.rejected', user_verification: 'passkey.rejected',
  counter: 'passkey.cloned', locked: 'passkey.rejected', disabled: 'passkey.cloned', model: 'passkey.model',
  too_many: 'passkey.too_many', duplicate: 'passkey.duplicate',
};

export function messageKey(reason: Refusal): string {
  return MESSAGES[reason];
}

/** A JSON error for the page script, in the login's language. */
export function jsonError(ctx: StepContext<unknown>, key: string, status: number): StepResult {
  const max = passkeySettings.of(ctx.services.config).maxFailures;
  return { type: 'json', status, body: { error: ctx.services.views.strings.t(ctx.flow.locale, key, { max }) } };
}

/** Options and verify; `finish` is the caller's. Success records the state and answers { ok: true }. */
export async function scriptCall(
  ctx: StepContext<LoginState>, f: Exclude<LoginForm, { op: 'finish' }>, purpose: Purpose, event: string,
  onVerified: (r: Extract<CheckResult, { ok: true }>) => Promise<StepResult | LoginState>,
): Promise<StepResult> {
  const passkeys = passkeysOf(ctx.services);
  const expected = purpose === 'second-factor' ? ctx.account?.id : ctx.flow.identified?.accountId;
  if (f.op === 'options') {
    ctx.setState(undefined);
    return { type: 'json', body: { options: await passkeys.loginOptions(ctx.uid, purpose, expected) } };
  }
  const result: CheckResult = purpose === 'second-factor' && !expected
    ? { ok: false, reason: 'unknown' }
    : await passkeys.check(ctx.uid, purpose, f.response, expected);
  if (!result.ok) {
    await ctx.audit({ event, outcome: 'failure', reason: result.reason, subject: result.accountId ?? expected });
    if (result.lockedNow) await ctx.audit({ event: 'credential.locked', outcome: 'info', reason: result.reason === 'counter' ? 'passkey: sign counter went backwards' : 'passkey', subject: result.accountId });
    return jsonError(ctx, messageKey(result.reason), result.reason === 'malformed' ? 400 : 401);
  }
  const next = await onVerified(result);
  if ('type' in next) return next;
  ctx.setState(next);
  await ctx.audit({ event, outcome: 'success', reason: `verified ${next.amr.join(' ')}`, subject: result.accountId });
  return { type: 'json', body: { ok: true } };
}
