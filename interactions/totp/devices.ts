// Authenticator apps (TOTP, RFC 6238 with otplib: SHA-1, 6 digits, 30 s). One device per account; its
// secret is sealed under DATA_KEY. A code is accepted within one step either side of the device's
// clock (now + its synchronisation offset), and each time step at most once: the last used step and
// the failure count change only in the totpAnswer / totpResync scripts, so replays are refused
// across processes.
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../../src/crypto/safe-equal.ts';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import type { Account } from '../../src/accounts/accounts.ts';
import type { Services } from '../../src/services.ts';
import { totpKeys } from './keys.ts';
import { totpAnswer, totpResync } from './scripts.ts';
import { totpSettings } from './settings.ts';

export const PERIOD = 30;
const PENDING_TTL = 900;

export interface DeviceStatus { createdAt: number; locked: boolean; failures: number; offset: number }
export type TotpOutcome = 'ok' | 'wrong' | 'replay' | 'locked_now' | 'locked' | 'stale' | 'none';

const purpose = (accountId: string) => `totp:${accountId}`;

export class TotpDevices {
  constructor(private readonly s: Services) {}

  private nowSeconds(): number {
    return Math.floor(this.s.clock.now() / 1000);
  }

  /** The secret of the enrolment in progress (kept 15 minutes, so a reload shows the same QR code). */
  async pendingSecret(accountId: string): Promise<string> {
    const key = totpKeys.pending(accountId);
    const sealed = await this.s.redis.get(key);
    if (sealed) return this.s.sealer.openText(sealed, `${purpose(accountId)}:pending`);
    const secret = generateSecret();
    // NX: two tabs opened at once agree on one secret.
    await this.s.redis.set(key, this.s.sealer.seal(secret, `${purpose(accountId)}:pending`), 'EX', PENDING_TTL, 'NX');
    return this.s.sealer.openText((await this.s.redis.get(key))!, `${purpose(accountId)}:pending`);
  }

  uri(account: Account, secret: string): string {
    return generateURI({ issuer: totpSettings.of(this.s.config).issuer ?? this.s.config.brand.name ?? 'Accesso sicuro', label: account.fiscalCode ?? account.id, secret });
  }

  /** Confirms the enrolment with the first code; the app then replaces any previous one. */
  async confirm(accountId: string, code: string): Promise<boolean> {
    const sealed = await this.s.redis.get(totpKeys.pending(accountId));
    if (!sealed) return false;
    const secret = this.s.sealer.openText(sealed, `${purpose(accountId)}:pending`);
    const step = await this.match(secret, code, this.nowSeconds());
    if (step === undefined) return false;
    const key = totpKeys.device(accountId);
    await this.s.redis.multi()
      .del(key)
      .hset(key, {
        id: randomBytes(12).toString('base64url'),
        secret: this.s.sealer.seal(secret, purpose(accountId)),
        createdAt: String(this.s.clock.now()),
        lastStep: String(step),   // the confirming code is used up too
        offset: '0', failures: '0', locked: '0',
      })
      .del(totpKeys.pending(accountId))
      .exec();
    return true;
  }

  async status(accountId: string): Promise<DeviceStatus | undefined> {
    const [createdAt, locked, failures, offset] = await this.s.redis.hmget(totpKeys.device(accountId), 'createdAt', 'locked', 'failures', 'offset');
    if (!createdAt) return undefined;
    return { createdAt: Number(createdAt), locked: locked === '1', failures: Number(failures ?? 0), offset: Number(offset ?? 0) };
  }

  /** A login code. */
  async verify(accountId: string, code: string): Promise<{ outcome: TotpOutcome; failures: number }> {
    const key = totpKeys.device(accountId);
    const [id, sealed, offset] = await this.s.redis.hmget(key, 'id', 'secret', 'offset');
    if (!id || !sealed) return { outcome: 'none', failures: 0 };
    const secret = this.s.sealer.openText(sealed, purpose(accountId));
    const step = await this.match(secret, code, this.nowSeconds() + Number(offset ?? 0) * PERIOD);
    const [outcome, failures] = await totpAnswer.run(this.s.redis, [key], id, step ?? -1, totpSettings.of(this.s.config).maxFailures);
    return { outcome: outcome as TotpOutcome, failures };
  }

  /**
   * "Synchronise": two consecutive codes, looked for within totp.resyncSteps either side of now; the
   * device's offset is set so that the second code's step is "now" for it.
   */
  async resync(accountId: string, first: string, second: string): Promise<'ok' | 'not_found' | 'replay' | 'none'> {
    const key = totpKeys.device(accountId);
    const [id, sealed] = await this.s.redis.hmget(key, 'id', 'secret');
    if (!id || !sealed) return 'none';
    const secret = this.s.sealer.openText(sealed, purpose(accountId));
    const current = Math.floor(this.nowSeconds() / PERIOD);
    const range = totpSettings.of(this.s.config).resyncSteps;
    const codes = new Map<number, string>();
    const codeAt = async (step: number) => {
      if (!codes.has(step)) codes.set(step, await generate({ secret, epoch: step * PERIOD }));
      return codes.get(step)!;
    };
    for (let step = current - range; step <= current + range; step += 1) {
      if (safeEqual(await codeAt(step), first) && safeEqual(await codeAt(step + 1), second)) {
        const result = await totpResync.run(this.s.redis, [key], id, step + 1, step + 1 - current);
        return result === 'stale' ? 'none' : result;
      }
    }
    return 'not_found';
  }

  async unlock(accountId: string): Promise<boolean> {
    return (await this.s.redis.unlockCredential(totpKeys.device(accountId))) === 1;
  }

  async remove(accountId: string): Promise<boolean> {
    const [removed] = await Promise.all([this.s.redis.del(totpKeys.device(accountId)), this.s.redis.del(totpKeys.pending(accountId))]);
    return removed > 0;
  }

  /** The time step `code` belongs to, within one step of `epoch` (constant-time comparison in otplib). */
  private async match(secret: string, code: string, epoch: number): Promise<number | undefined> {
    try {
      const r = await verify({ secret, token: code, epoch, epochTolerance: PERIOD });
      return r.valid && 'timeStep' in r ? r.timeStep : undefined;
    } catch {
      return undefined; // a malformed code is simply not a match
    }
  }
}

export function totpOf(s: Services): TotpDevices {
  return new TotpDevices(s);
}
