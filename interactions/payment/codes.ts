// Dynamic linking (Commission Delegated Regulation (EU) 2018/389, Art. 5): the code sent for a
// confirmation is bound to a digest of the authorization details and to the interaction. Its HMAC
// (keyed with DATA_KEY) covers account, binding and code, so a code for other details, for the same
// details in another interaction, or after the details changed does not match. One code per
// account: a new confirmation replaces (voids) the last. Used once: the check deletes it.
import { createHash, randomInt } from 'node:crypto';
import type { PasswordKind } from '../../src/accounts/accounts.ts';
import type { SecureChannel } from '../../src/secure-channel/secure-channels.ts';
import { maskContact } from '../../src/delivery/mask.ts';
import { DeliveryError } from '../../src/delivery/message.ts';
import type { Services } from '../../src/services.ts';
import { keys } from '../../src/store/keys.ts';
import { paymentKeys } from './keys.ts';
import { paymentCodeIssue } from './scripts.ts';

/** The digest of the authorization_details parameter as the client sent it. */
export function detailsDigest(raw: string): string {
  return createHash('sha256').update(raw).digest('base64url');
}

export function binding(detailsDigestValue: string, interaction: string): string {
  return createHash('sha256').update(`${detailsDigestValue}|${interaction}`).digest('base64url');
}

export type CodeIssue = { status: 'sent' | 'kept'; expiresAt: number } | { status: 'failed'; error: string };
export type CodeCheck = { ok: true } | { ok: false; reason: 'wrong' | 'void_now' | 'none' | 'expired' | 'void' | 'locked'; failures: number; lockedNow: boolean };

const REASONS = { 0: 'wrong', 2: 'void_now', [-1]: 'none', [-2]: 'expired', [-3]: 'void', [-4]: 'locked' } as const;

export class PaymentCodes {
  constructor(private readonly s: Services, private readonly validitySeconds: number) {}

  private mac(accountId: string, bind: string, code: string): string {
    return this.s.sealer.mac(`${accountId}|payment|${bind}|${code}`, 'otp');
  }

  /** Sends a code stating the amount and payee (the message's `summary`), unless one for this binding is in force. */
  async issue(accountId: string, bind: string, channel: SecureChannel, locale: string, params: { amount: string; payee: string }): Promise<CodeIssue> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const hash = this.mac(accountId, bind, code);
    const now = this.s.clock.now();
    const validMs = this.validitySeconds * 1000;
    const key = paymentKeys.code(accountId);
    const [issued, expiresAt] = await paymentCodeIssue.run(this.s.redis, [key], now, now + validMs, hash, bind, channel.channel, maskContact(channel.channel, channel.to), validMs + 3_600_000, this.s.config.otp.maxAttempts);
    if (!issued) return { status: 'kept', expiresAt };
    try {
      await this.s.delivery.send({
        kind: 'payment_code', channel: channel.channel, to: channel.to, locale, code,
        params: { ...params, minutes: Math.round(this.validitySeconds / 60) },
      });
    } catch (err) {
      await this.s.redis.otpWithdraw(key, hash);
      if (err instanceof DeliveryError) return { status: 'failed', error: err.message };
      throw err;
    }
    return { status: 'sent', expiresAt };
  }

  /** Checks an entry: single use, bound; wrong entries count toward `kind`'s lockout (one script). */
  async check(accountId: string, bind: string, code: string, kind: PasswordKind): Promise<CodeCheck> {
    const [status, , failures, lockedNow] = await this.s.redis.otpCheck(
      paymentKeys.code(accountId), keys.credential(accountId, kind), this.s.clock.now(), this.mac(accountId, bind, code),
      this.s.config.otp.maxAttempts, this.s.config.passwords[kind].maxFailures, 1,
    );
    if (status === 1) return { ok: true };
    return { ok: false, reason: REASONS[status as keyof typeof REASONS] ?? 'none', failures, lockedNow: lockedNow === 1 };
  }
}
