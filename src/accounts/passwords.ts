// Password credentials: Argon2id hashes with per-credential failure counters and lockout.
// The counter and the lock change only through the Lua scripts in store/scripts.ts.
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import { DAY_MS } from '../clock.ts';
import { keys } from '../store/keys.ts';
import type { ScriptedRedis } from '../store/scripts.ts';
import type { PasswordKind } from './accounts.ts';

export interface Credential {
  hash: string;
  failures: number;
  locked: boolean;
  mustChange: boolean;
  setAt: number;
  expiresAt: number; // 0: never
}

export type VerifyResult =
  | { ok: true; credential: Credential; changeRequired: 'first_use' | 'expired' | undefined; expiresInDays?: number }
  | { ok: false; reason: 'unknown' | 'wrong' | 'locked' | 'locked_now' | 'stale'; failures: number };

export class Passwords {
  private dummyHash: Promise<string> | undefined;
  // Credentials read ahead of their check in the same request (see readAhead), by that request's object.
  private readonly ahead = new WeakMap<object, { accountId: string; kind: PasswordKind; read: Promise<Credential | undefined> }>();

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly config: Pick<Config, 'argon2' | 'passwords' | 'expiryWarningDays'>,
    private readonly clock: Clock,
  ) {}

  hash(password: string): Promise<string> {
    const { memoryKiB, timeCost, parallelism } = this.config.argon2;
    return argonHash(password, { algorithm: Algorithm.Argon2id, memoryCost: memoryKiB, timeCost, parallelism });
  }

  /** Verifies against the given hash, or a throwaway one so that unknown users take the same time. */
  async matches(hash: string | undefined, password: string): Promise<boolean> {
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
    const target = hash ?? (await this.dummyHash);
    const ok = await argonVerify(target, password).catch(() => false);
    return ok && hash !== undefined;
  }

  async get(accountId: string, kind: PasswordKind): Promise<Credential | undefined> {
    const h = await this.redis.hgetall(keys.credential(accountId, kind));
    if (!h.hash) return undefined;
    return {
      hash: h.hash,
      failures: Number(h.failures ?? 0),
      locked: h.locked === '1',
      mustChange: h.mustChange === '1',
      setAt: Number(h.setAt ?? 0),
      expiresAt: Number(h.expiresAt ?? 0),
    };
  }

  /**
   * Starts reading a credential whose check comes later in the same request, beside another read of
   * it (the account's): verify() given the same `request` object (e.g. the flow state of that
   * request) takes this read instead of making its own, once, for the same account and kind.
   */
  readAhead(request: object, accountId: string, kind: PasswordKind): void {
    const read = this.get(accountId, kind);
    read.catch(() => undefined); // a failed read is thrown by verify(), which awaits it; never unhandled
    this.ahead.set(request, { accountId, kind, read });
  }

  private takeAhead(request: object | undefined, accountId: string, kind: PasswordKind): Promise<Credential | undefined> | undefined {
    const early = request && this.ahead.get(request);
    if (!early) return undefined;
    this.ahead.delete(request);
    return early.accountId === accountId && early.kind === kind ? early.read : undefined;
  }

  /** Sets a new password; clears the failure count and the lock. */
  async set(accountId: string, kind: PasswordKind, password: string, opts: { mustChange: boolean; expiresAt?: number }): Promise<void> {
    const now = this.clock.now();
    const days = this.config.passwords[kind].expiryDays;
    const expiresAt = opts.expiresAt ?? (days > 0 ? now + days * DAY_MS : 0);
    await this.redis.hset(keys.credential(accountId, kind), {
      hash: await this.hash(password),
      failures: '0',
      locked: '0',
      mustChange: opts.mustChange ? '1' : '0',
      setAt: String(now),
      expiresAt: String(expiresAt),
    });
  }

  /** An initial password (imports): set only where none exists yet, in one script. True when set. */
  async setInitial(accountId: string, kind: PasswordKind, password: string, opts: { mustChange: boolean }): Promise<boolean> {
    const now = this.clock.now();
    const days = this.config.passwords[kind].expiryDays;
    const fields = {
      hash: await this.hash(password), failures: '0', locked: '0', mustChange: opts.mustChange ? '1' : '0',
      setAt: String(now), expiresAt: String(days > 0 ? now + days * DAY_MS : 0),
    };
    return (await this.redis.credentialInit(keys.credential(accountId, kind), ...Object.entries(fields).flat())) === 1;
  }

  /**
   * Checks a password. The caller shows every failure the same way; the reason is for the audit log.
   * accountId undefined means the user is unknown: the same work is done, nothing is counted.
   */
  /**
   * `opts.keepFailures`: a right password leaves the failure count as it is, for a check of several
   * factors whose last one resets it (a payment's code: otherwise every right password would wipe the
   * wrong codes counted before it). `opts.ahead`: the object a readAhead() of this request was given.
   */
  async verify(accountId: string | undefined, kind: PasswordKind, password: string, opts: { keepFailures?: boolean; ahead?: object } = {}): Promise<VerifyResult> {
    const early = accountId ? this.takeAhead(opts.ahead, accountId, kind) : undefined;
    const credential = accountId ? await (early ?? this.get(accountId, kind)) : undefined;
    const valid = await this.matches(credential?.hash, password);
    if (!credential || !accountId) return { ok: false, reason: 'unknown', failures: 0 };
    if (credential.locked) return { ok: false, reason: 'locked', failures: credential.failures };
    const key = keys.credential(accountId, kind);
    if (!valid) {
      const [failures, status] = await this.redis.passwordFailure(key, this.config.passwords[kind].maxFailures);
      if (status === -1) return { ok: false, reason: 'unknown', failures: 0 };
      return { ok: false, reason: status === 0 ? 'wrong' : status === 1 ? 'locked_now' : 'locked', failures };
    }
    const outcome = opts.keepFailures ? 'ok' : await this.redis.passwordSuccess(key, credential.hash);
    if (outcome !== 'ok') return { ok: false, reason: outcome, failures: credential.failures };
    const now = this.clock.now();
    const expired = credential.expiresAt > 0 && now >= credential.expiresAt;
    const changeRequired = credential.mustChange ? 'first_use' : expired ? 'expired' : undefined;
    const daysLeft = credential.expiresAt > 0 ? Math.ceil((credential.expiresAt - now) / DAY_MS) : undefined;
    const expiresInDays = daysLeft !== undefined && daysLeft <= this.config.expiryWarningDays && !changeRequired ? daysLeft : undefined;
    return { ok: true, credential: opts.keepFailures ? credential : { ...credential, failures: 0 }, changeRequired, expiresInDays };
  }

  /** Clears the lock and the count (one script). Returns false when there is no such credential. */
  async unlock(accountId: string, kind: PasswordKind): Promise<boolean> {
    return (await this.redis.unlockCredential(keys.credential(accountId, kind))) === 1;
  }
}
