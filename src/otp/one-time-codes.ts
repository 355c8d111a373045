// Emailed or texted one-time codes: 6 digits from the CSPRNG, stored only as an HMAC keyed with
// DATA_KEY, valid OTP_TTL seconds, single use, void after OTP_MAX_ATTEMPTS wrong entries. While a
// code is valid (or void but not yet expired) no new one is issued. Issue and check are Lua scripts,
// so any number of requests on any number of processes agree; wrong entries also count toward the
// account's password lockout (the same script, the same hash tag).
import { randomInt } from 'node:crypto';
import type { PasswordKind } from '../accounts/accounts.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Sealer } from '../crypto/sealed.ts';
import type { Delivery } from '../delivery/delivery.ts';
import { maskContact } from '../delivery/mask.ts';
import { DeliveryError, type Channel } from '../delivery/message.ts';
import { keys } from '../store/keys.ts';
import type { ScriptedRedis } from '../store/scripts.ts';

/** What a code is for: one code in force per account and purpose. */
export type OtpPurpose = 'login' | 'register' | 'reset';

export interface OtpTarget { channel: Channel; to: string }

export type IssueResult =
  | { status: 'sent'; expiresAt: number; validSeconds: number }
  | { status: 'wait'; expiresAt: number; waitSeconds: number }
  | { status: 'failed'; error: DeliveryError };

export type CheckResult =
  | { ok: true }
  | { ok: false; reason: 'wrong' | 'void_now' | 'none' | 'expired' | 'void' | 'locked'; attemptsLeft: number; lockedNow: boolean };

/** The code last issued: where it went (masked), until when, whether it is spent, who asked. */
export interface OtpStatus { channel: Channel; to: string; expiresAt: number; void: boolean; expired: boolean; ref: string }

const CHECK_STATUS: Record<number, Exclude<CheckResult, { ok: true }>['reason']> = {
  0: 'wrong', 2: 'void_now', [-1]: 'none', [-2]: 'expired', [-3]: 'void', [-4]: 'locked',
};

export class OneTimeCodes {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly config: Pick<Config, 'otp' | 'passwords'>,
    private readonly clock: Clock,
    private readonly sealer: Sealer,
    private readonly delivery: Delivery,
  ) {}

  private hash(accountId: string, purpose: OtpPurpose, code: string): string {
    return this.sealer.mac(`${accountId}|${purpose}|${code}`, 'otp');
  }

  /** Issues a code and sends it, unless one is still in force ("wait N seconds"). */
  async issue(accountId: string, purpose: OtpPurpose, target: OtpTarget, locale: string, ref = ''): Promise<IssueResult> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const hash = this.hash(accountId, purpose, code);
    const validMs = this.config.otp.validitySeconds * 1000;
    const now = this.clock.now();
    const key = keys.otp(accountId, purpose);
    const [issued, expiresAt] = await this.redis.otpIssue(key, now, now + validMs, hash, target.channel, maskContact(target.channel, target.to), validMs + 3_600_000, ref);
    if (!issued) return { status: 'wait', expiresAt, waitSeconds: Math.max(Math.ceil((expiresAt - now) / 1000), 1) };
    try {
      await this.delivery.send({
        kind: `otp_${purpose}`, channel: target.channel, to: target.to, locale, code,
        params: { minutes: Math.round(this.config.otp.validitySeconds / 60) },
      });
    } catch (err) {
      // Not delivered: withdraw it, so that "try again" can send a new one at once.
      await this.redis.otpWithdraw(key, hash);
      if (err instanceof DeliveryError) return { status: 'failed', error: err };
      throw err;
    }
    return { status: 'sent', expiresAt, validSeconds: this.config.otp.validitySeconds };
  }

  /** The code last issued and not used, if any. */
  async status(accountId: string, purpose: OtpPurpose): Promise<OtpStatus | undefined> {
    const h = await this.redis.hgetall(keys.otp(accountId, purpose));
    if (!h.expiresAt) return undefined;
    return {
      channel: h.channel as Channel, to: h.to ?? '', expiresAt: Number(h.expiresAt), ref: h.ref ?? '',
      void: Number(h.attempts) >= this.config.otp.maxAttempts, expired: Number(h.expiresAt) <= this.clock.now(),
    };
  }

  /**
   * Checks an entry (the caller has checked its format). `kind` is the password whose lockout the
   * wrong entries count toward; `refuseLocked` is false for the self-service password reset,
   * which is how a member unlocks.
   */
  async check(accountId: string, purpose: OtpPurpose, code: string, kind: PasswordKind, refuseLocked = true): Promise<CheckResult> {
    const [status, attemptsLeft, , lockedNow] = await this.redis.otpCheck(
      keys.otp(accountId, purpose), keys.credential(accountId, kind), this.clock.now(), this.hash(accountId, purpose, code),
      this.config.otp.maxAttempts, this.config.passwords[kind].maxFailures, refuseLocked ? 1 : 0,
    );
    if (status === 1) return { ok: true };
    return { ok: false, reason: CHECK_STATUS[status] ?? 'none', attemptsLeft, lockedNow: lockedNow === 1 };
  }
}
