// Passkeys (WebAuthn, with @simplewebauthn/server): registration from the credentials page, and the
// check of a login answer (second factor or passwordless). Challenges are random, kept in Redis for
// PASSKEY_CHALLENGE_TTL seconds and taken with GETDEL, so each is used once; a login challenge is
// bound to its interaction (its key is the interaction's), a registration challenge to its account.
// The sign counter, the failures and the locks change only in the Lua scripts of scripts.ts.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  generateAuthenticationOptions, generateRegistrationOptions, SettingsService, verifyAuthenticationResponse,
  verifyRegistrationResponse, type AuthenticationResponseJSON, type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeAttestationObject } from '@simplewebauthn/server/helpers';
import { z } from 'zod';
import type { Account } from '../../src/accounts/accounts.ts';
import type { Services } from '../../src/services.ts';
import { passkeyKeys } from './keys.ts';
import { passkeyAssert, passkeyFailure } from './scripts.ts';
import { passkeySettings } from './settings.ts';

/** COSE algorithms: ES256 and RS256 (the choice; EdDSA left out). */
const ALGORITHMS = [-7, -257];

export interface Passkey {
  id: string;
  name: string;
  publicKey: string;          // COSE, base64url (not a secret)
  counter: number;
  transports: string[];
  aaguid: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  fmt: string;
  createdAt: number;
  lastUsedAt?: number;
  /** Locked after its sign counter went backwards (a cloned authenticator). */
  disabled: boolean;
}

/** Why an answer was refused (the audit log's reason). */
export type Refusal =
  | 'malformed' | 'expired' | 'unknown' | 'wrong_origin' | 'wrong_rp' | 'challenge' | 'signature'
  | 'user_verification' | 'counter' | 'locked' | 'disabled' | 'model' | 'too_many' | 'duplicate';

/** Refusals of a verified user's answer that count toward the lock (like a wrong code). */
const COUNTED: ReadonlySet<Refusal> = new Set(['wrong_origin', 'wrong_rp', 'challenge', 'signature', 'user_verification', 'unknown']);

export type Purpose = 'second-factor' | 'passwordless';

export type CheckResult =
  | { ok: true; accountId: string; passkey: Passkey; userVerified: boolean; deviceType: 'singleDevice' | 'multiDevice'; backedUp: boolean }
  | { ok: false; reason: Refusal; accountId?: string; lockedNow?: boolean; passkey?: Passkey };

const b64url = z.string().max(8192).regex(/^[A-Za-z0-9_-]*$/);
const extensions = z.record(z.string(), z.unknown()).optional().default({});

/** An answer of navigator.credentials.get, as @simplewebauthn/browser sends it (bounded). */
export const assertionSchema = z.object({
  id: b64url.min(1).max(1400),
  rawId: b64url.min(1).max(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url.min(1),
    authenticatorData: b64url.min(1),
    signature: b64url.min(1),
    userHandle: b64url.max(100).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: extensions,
});

/** An answer of navigator.credentials.create. */
export const attestationSchema = z.object({
  id: b64url.min(1).max(1400),
  rawId: b64url.min(1).max(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url.min(1),
    attestationObject: b64url.min(1),
    authenticatorData: b64url.optional(),
    transports: z.array(z.string().max(20)).max(8).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url.optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: extensions,
});

/** A name the user gives a passkey. */
export const passkeyName = z.string({ error: 'form.invalid' }).trim().min(1, { error: 'passkey.name_required' }).max(60, { error: 'form.too_long' })
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'form.invalid' });

const storedChallenge = z.object({ c: z.string(), p: z.enum(['second-factor', 'passwordless', 'register']), a: z.string().optional(), n: z.string().optional() });

// The attestation roots are the library's global setting: read once per file.
let rootsLoaded: string | undefined;

export class Passkeys {
  constructor(private readonly s: Services) {}

  get settings() {
    return passkeySettings.of(this.s.config);
  }

  /** The relying-party id: the configured one, else the issuer's host. */
  rpId(): string {
    return this.settings.rpId || new URL(this.s.config.issuer).hostname;
  }

  origins(): string[] {
    return this.settings.origins.length ? this.settings.origins : [new URL(this.s.config.issuer).origin];
  }

  /** Passkeys need a domain as relying-party id (browsers refuse an IP address). */
  usable(): boolean {
    const id = this.rpId();
    return isIP(id.replace(/^\[|\]$/g, '')) === 0 && id.length > 0;
  }

  /** The user handle stored in the user's passkeys: derived from the account, revealing nothing. */
  userHandle(accountId: string): string {
    return this.s.sealer.mac(accountId, 'passkey-user-handle');
  }

  async list(accountId: string): Promise<Passkey[]> {
    const ids = await this.s.redis.smembers(passkeyKeys.ids(accountId));
    const rows = await Promise.all(ids.map((id) => this.s.redis.hgetall(passkeyKeys.credential(accountId, id))));
    return rows.filter((r) => r.id).map(recordOf).sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(accountId: string, credentialId: string): Promise<Passkey | undefined> {
    const row = await this.s.redis.hgetall(passkeyKeys.credential(accountId, credentialId));
    return row.id === credentialId ? recordOf(row) : undefined;
  }

  async count(accountId: string): Promise<number> {
    return this.s.redis.scard(passkeyKeys.ids(accountId));
  }

  async state(accountId: string): Promise<{ locked: boolean; failures: number }> {
    const [locked, failures] = await this.s.redis.hmget(passkeyKeys.account(accountId), 'locked', 'failures');
    return { locked: locked === '1', failures: Number(failures ?? 0) };
  }

  // Registration ---------------------------------------------------------------------------------

  async registrationOptions(account: Account, name: string): Promise<PublicKeyCredentialCreationOptionsJSON | 'too_many'> {
    const existing = await this.list(account.id);
    if (existing.length >= this.settings.maxPerUser) return 'too_many';
    const options = await generateRegistrationOptions({
      rpName: this.settings.rpName,
      rpID: this.rpId(),
      userName: loginNameOf(account),
      userDisplayName: [account.givenName, account.familyName].filter(Boolean).join(' ') || loginNameOf(account),
      userID: Buffer.from(this.userHandle(account.id), 'base64url'),
      attestationType: this.settings.attestation,
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
      timeout: this.settings.challengeSeconds * 1000,
    });
    await this.s.redis.set(passkeyKeys.registration(account.id), JSON.stringify({ c: options.challenge, p: 'register', n: name }), 'EX', this.settings.challengeSeconds);
    return options;
  }

  /** Checks a registration answer against the account's standing challenge (used up either way). */
  async register(accountId: string, raw: unknown): Promise<{ ok: true; passkey: Passkey } | { ok: false; reason: Refusal; detail?: string }> {
    const parsed = attestationSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: 'malformed' };
    const stored = parseStored(await this.s.redis.getdel(passkeyKeys.registration(accountId)));
    if (!stored || stored.p !== 'register' || !stored.n) return { ok: false, reason: 'expired' };
    if ((await this.count(accountId)) >= this.settings.maxPerUser) return { ok: false, reason: 'too_many' };
    this.loadRoots();
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: parsed.data as RegistrationResponseJSON,
        expectedChallenge: stored.c,
        expectedOrigin: this.origins(),
        expectedRPID: this.rpId(),
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (err) {
      return { ok: false, reason: refusalOf(err), detail: (err as Error).message.slice(0, 200) };
    }
    if (!verified.verified) return { ok: false, reason: 'signature' };
    const info = verified.registrationInfo;
    if (this.settings.attestation === 'direct') {
      // The model must be proven by an attestation (not 'none', not self-signed) and be on the list.
      const attested = info.fmt !== 'none' && !(info.fmt === 'packed' && !hasX5c(info.attestationObject));
      if (!attested || !this.settings.authenticators.some((a) => a.toLowerCase() === info.aaguid.toLowerCase())) {
        return { ok: false, reason: 'model', detail: `${info.fmt} ${info.aaguid}` };
      }
    }
    const id = info.credential.id;
    const owner = passkeyKeys.owner(id);
    // A credential id is the authenticator's: taken once (NX), by one account.
    if ((await this.s.redis.set(owner, accountId, 'NX')) !== 'OK') return { ok: false, reason: 'duplicate' };
    const passkey: Passkey = {
      id, name: stored.n, publicKey: Buffer.from(info.credential.publicKey).toString('base64url'), counter: info.credential.counter,
      transports: info.credential.transports ?? parsed.data.response.transports ?? [], aaguid: info.aaguid,
      deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, fmt: info.fmt,
      createdAt: this.s.clock.now(), disabled: false,
    };
    await this.s.redis.multi()
      .hset(passkeyKeys.credential(accountId, id), {
        id, name: passkey.name, publicKey: passkey.publicKey, counter: String(passkey.counter),
        transports: JSON.stringify(passkey.transports), aaguid: passkey.aaguid, deviceType: passkey.deviceType,
        backedUp: passkey.backedUp ? '1' : '0', fmt: passkey.fmt, createdAt: String(passkey.createdAt), locked: '0',
      })
      .sadd(passkeyKeys.ids(accountId), id)
      .exec();
    return { ok: true, passkey };
  }

  async rename(accountId: string, credentialId: string, name: string): Promise<boolean> {
    if (!(await this.get(accountId, credentialId))) return false;
    await this.s.redis.hset(passkeyKeys.credential(accountId, credentialId), 'name', name);
    return true;
  }

  async remove(accountId: string, credentialId: string): Promise<boolean> {
    if (!(await this.get(accountId, credentialId))) return false;
    await this.s.redis.multi().del(passkeyKeys.credential(accountId, credentialId)).srem(passkeyKeys.ids(accountId), credentialId).exec();
    // The owner entry goes only if it is still this account's.
    const owner = passkeyKeys.owner(credentialId);
    if ((await this.s.redis.get(owner)) === accountId) await this.s.redis.del(owner);
    return true;
  }

  /** Every passkey of the user ("delete mobile credentials"); true when there was one. */
  async removeAll(accountId: string): Promise<boolean> {
    const all = await this.list(accountId);
    for (const p of all) await this.remove(accountId, p.id);
    await this.s.redis.del(passkeyKeys.ids(accountId), passkeyKeys.account(accountId), passkeyKeys.registration(accountId));
    return all.length > 0;
  }

  /** Clears the failures and the lock of the user's passkeys (not a passkey disabled as cloned). */
  async unlock(accountId: string): Promise<boolean> {
    return (await this.s.redis.unlockCredential(passkeyKeys.account(accountId))) === 1;
  }

  // Login ------------------------------------------------------------------------------------------

  /**
   * A new challenge for this interaction (it replaces the one before). Second factor: the user's own
   * passkeys are listed; passwordless: none (the browser offers its discoverable ones).
   */
  async loginOptions(uid: string, purpose: Purpose, accountId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const own = purpose === 'second-factor' && accountId ? await this.list(accountId) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.rpId(),
      allowCredentials: own.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
      userVerification: purpose === 'passwordless' ? 'required' : 'preferred',
      timeout: this.settings.challengeSeconds * 1000,
    });
    await this.s.redis.set(passkeyKeys.challenge(uid), JSON.stringify({ c: options.challenge, p: purpose, a: accountId }), 'EX', this.settings.challengeSeconds);
    return options;
  }

  /**
   * Checks a login answer: the interaction's challenge (taken, so used once), the credential (the
   * given user's for a second factor; anyone's for passwordless, which then names the user), origin,
   * RP id, signature, user verification, then the sign counter and the locks in one script.
   */
  async check(uid: string, purpose: Purpose, raw: unknown, accountId?: string): Promise<CheckResult> {
    const parsed = assertionSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: 'malformed', accountId };
    const response = parsed.data as AuthenticationResponseJSON;
    // The challenge is taken first (used once, whatever follows); with it, the credential's owner.
    const [rawStored, found] = await Promise.all([
      this.s.redis.getdel(passkeyKeys.challenge(uid)),
      purpose === 'second-factor' ? accountId : this.s.redis.get(passkeyKeys.owner(response.id)),
    ]);
    const stored = parseStored(rawStored);
    if (!stored || stored.p !== purpose || (purpose === 'second-factor' && stored.a !== accountId)) return { ok: false, reason: 'expired', accountId };

    const owner = found ?? undefined;
    if (!owner || (accountId && owner !== accountId)) return this.refuse('unknown', accountId);
    const passkey = await this.get(owner, response.id);
    if (!passkey) return this.refuse('unknown', purpose === 'second-factor' ? owner : undefined);
    if (purpose === 'passwordless' && response.response.userHandle !== undefined && response.response.userHandle !== this.userHandle(owner)) {
      return this.refuse('unknown', undefined);
    }
    if (passkey.disabled) return { ok: false, reason: 'disabled', accountId: owner, passkey };
    // A lock of the user's passkeys is read by passkeyAssert (and passkeyFailure) below: one read less.

    let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
    try {
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: stored.c,
        expectedOrigin: this.origins(),
        expectedRPID: this.rpId(),
        // The counter is checked (and set) atomically in passkeyAssert, not here.
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: 0, transports: passkey.transports as AuthenticatorTransport[] },
        requireUserVerification: purpose === 'passwordless',
      });
      if (!verified.verified) return this.refuse('signature', owner, passkey);
      info = verified.authenticationInfo;
    } catch (err) {
      return this.refuse(refusalOf(err), owner, passkey);
    }
    const [status] = await passkeyAssert.run(this.s.redis, [passkeyKeys.account(owner), passkeyKeys.credential(owner, passkey.id)], passkey.id, info.newCounter, this.s.clock.now());
    if (status === 'ok') return { ok: true, accountId: owner, passkey, userVerified: info.userVerified, deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp };
    if (status === 'counter') return { ok: false, reason: 'counter', accountId: owner, passkey, lockedNow: true };
    return { ok: false, reason: status === 'locked' ? 'locked' : status === 'disabled' ? 'disabled' : 'unknown', accountId: owner, passkey };
  }

  /** A refused answer; counted toward the lock when it is a known user's and of a counted kind. */
  private async refuse(reason: Refusal, accountId: string | undefined, passkey?: Passkey): Promise<CheckResult> {
    if (!accountId || !COUNTED.has(reason)) return { ok: false, reason, accountId, passkey };
    const [status] = await passkeyFailure.run(this.s.redis, [passkeyKeys.account(accountId)], this.settings.maxFailures);
    return { ok: false, reason, accountId, passkey, lockedNow: status === 'locked_now' };
  }

  private loadRoots(): void {
    const file = this.settings.attestationRoots;
    if (this.settings.attestation !== 'direct' || !file || rootsLoaded === file) return;
    const pems = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    for (const identifier of ['packed', 'tpm', 'fido-u2f', 'android-key'] as const) SettingsService.setRootCertificates({ identifier, certificates: pems });
    rootsLoaded = file;
  }
}

export function passkeysOf(s: Services): Passkeys {
  return new Passkeys(s);
}

/** What the user types to sign in, shown by the browser beside the passkey. */
export function loginNameOf(account: Account): string {
  if (account.fiscalCode) return account.fiscalCode;
  return account.operatorCode ? `${account.companyCode} / ${account.operatorCode}` : account.companyCode ?? account.id;
}

/** RFC 8176 values for what happened: a device-bound key (hwk) or a synced one (swk), user verified. */
export function amrOf(result: { userVerified: boolean; deviceType: string; backedUp: boolean }): string[] {
  const key = result.deviceType === 'multiDevice' || result.backedUp ? 'swk' : 'hwk';
  return result.userVerified ? [key, 'user'] : [key];
}

function recordOf(row: Record<string, string>): Passkey {
  let transports: string[] = [];
  try { transports = z.array(z.string()).parse(JSON.parse(row.transports ?? '[]')); } catch { /* none */ }
  return {
    id: row.id!, name: row.name ?? '', publicKey: row.publicKey ?? '', counter: Number(row.counter ?? 0), transports,
    aaguid: row.aaguid ?? '', deviceType: row.deviceType === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: row.backedUp === '1', fmt: row.fmt ?? '', createdAt: Number(row.createdAt ?? 0),
    lastUsedAt: row.lastUsedAt ? Number(row.lastUsedAt) : undefined, disabled: row.locked === '1',
  };
}

function parseStored(raw: string | null) {
  if (!raw) return undefined;
  try { return storedChallenge.parse(JSON.parse(raw)); } catch { return undefined; }
}

/** The reason behind the library's refusal (its messages, as of @simplewebauthn/server 14). */
function refusalOf(err: unknown): Refusal {
  const m = err instanceof Error ? err.message : '';
  if (/origin/i.test(m)) return 'wrong_origin';
  if (/RP ID/i.test(m)) return 'wrong_rp';
  if (/challenge/i.test(m)) return 'challenge';
  if (/user verification|user could not be verified|not present/i.test(m)) return 'user_verification';
  if (/signature/i.test(m)) return 'signature';
  return 'malformed';
}

/** Whether a packed attestation carries a certificate (full attestation, not self-attestation). */
function hasX5c(attestationObject: Uint8Array): boolean {
  return decodeAttestationObject(new Uint8Array(attestationObject)).get('attStmt').get('x5c') !== undefined;
}
