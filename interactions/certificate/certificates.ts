// The certificates our CA issued: one Redis hash each (serial, the 23-digit identifier, subject,
// account, dates, revocation, fingerprints), indexed by account, by company and overall. Issuing,
// revoking and removing are here; the CRL is rebuilt at every revocation (crl-store.ts).
import type { Account } from '../../src/accounts/accounts.ts';
import { DAY_MS } from '../../src/clock.ts';
import { Companies } from '../../src/companies/companies.ts';
import type { Services } from '../../src/services.ts';
import forge from 'node-forge';
import { caOf, newSerial, signByCa } from './ca.ts';
import { refreshCrl } from './crl-store.ts';
import type { RevocationReason } from './crl.ts';
import type { SubjectSpec } from './csr.ts';
import { certKeys } from './keys.ts';
import { certFirstUse, certRevoke } from './scripts.ts';
import { certificateSettings } from './settings.ts';

export class CertError extends Error {
  constructor(readonly key: string, readonly status = 400) { super(key); }
}

export interface CertRecord {
  serial: string;
  /** 10-digit telematic account, 5-digit sequence, installation date YYYYMMDD. */
  identifier: string;
  subject: string;
  accountId: string;
  companyCode: string;
  /** Empty for the company administrator. */
  operatorCode: string;
  issuedAt: number;
  notBefore: number;
  notAfter: number;
  revokedAt?: number;
  reason?: RevocationReason;
  /** SHA-256 of the certificate (hex) and of its public key. */
  fingerprint: string;
  keyFingerprint: string;
  pem: string;
  /** The certificate this one renews (revoked once this one is used to log in). */
  replaces?: string;
  usedAt?: number;
  /** Where the key was made: in the browser, or by the server (fallback, counter). */
  via: 'browser' | 'server';
}

export type CertState = 'active' | 'revoked' | 'expired' | 'not_yet_valid';

export const IDENTIFIER = /^\d{23}$/;
export const SERIAL = /^[0-9A-F]{2,40}$/;

/** The account a certificate is for: an administrator or an operator of a company. */
export type Holder = Pick<Account, 'id' | 'type' | 'companyCode' | 'operatorCode'>;

const ROME = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' });

function fromHash(h: Record<string, string>): CertRecord | undefined {
  if (!h.serial || !h.pem) return undefined;
  return {
    serial: h.serial, identifier: h.identifier ?? '', subject: h.subject ?? '', accountId: h.accountId ?? '',
    companyCode: h.companyCode ?? '', operatorCode: h.operatorCode ?? '',
    issuedAt: Number(h.issuedAt), notBefore: Number(h.notBefore), notAfter: Number(h.notAfter),
    revokedAt: h.revokedAt ? Number(h.revokedAt) : undefined, reason: (h.reason || undefined) as RevocationReason | undefined,
    fingerprint: h.fingerprint ?? '', keyFingerprint: h.keyFingerprint ?? '', pem: h.pem,
    replaces: h.replaces || undefined, usedAt: h.usedAt ? Number(h.usedAt) : undefined, via: h.via === 'server' ? 'server' : 'browser',
  };
}

export function stateOf(r: CertRecord, now: number): CertState {
  if (r.revokedAt !== undefined) return 'revoked';
  if (now >= r.notAfter) return 'expired';
  if (now < r.notBefore) return 'not_yet_valid';
  return 'active';
}

/** Whole days left before expiry (rounded up). */
export const daysLeft = (r: Pick<CertRecord, 'notAfter'>, now: number) => Math.ceil((r.notAfter - now) / DAY_MS);

/** The subject our CA writes for an account: the identifier, the company, the account. */
export function subjectFor(holder: Holder, identifier: string): SubjectSpec {
  return [
    { name: 'commonName', value: identifier },
    { name: 'organizationalUnitName', value: holder.companyCode ?? '' },
    { name: 'serialNumber', value: holder.id },
  ];
}

export class Certificates {
  constructor(private readonly s: Services) {}

  /** Only company administrators and operators get certificates from our CA. */
  static holds(account: Pick<Account, 'type' | 'companyCode'> | undefined): boolean {
    return !!account && (account.type === 'administrator' || account.type === 'operator') && !!account.companyCode;
  }

  /** The next 23-digit identifier of the holder's company (its first telematic account, a sequence, today's date). */
  async nextIdentifier(holder: Holder): Promise<string> {
    const code = holder.companyCode ?? '';
    const company = await new Companies(this.s).get(code);
    const account = company?.accounts[0]?.number;
    if (!account) throw new CertError('certificate.no_telematic_account', 409);
    const seq = (await this.s.redis.incr(certKeys.sequence(code))) % 100_000;
    const date = ROME.format(new Date(this.s.clock.now())).replace(/-/g, '');
    return `${account}${String(seq).padStart(5, '0')}${date}`;
  }

  /** Signs a certificate for the holder's public key and records it. */
  async issue(input: {
    holder: Holder; identifier: string; publicKey: forge.pki.rsa.PublicKey; keyFingerprint: string;
    via: CertRecord['via']; replaces?: string; actor: string; ip?: string;
  }): Promise<CertRecord> {
    const { holder } = input;
    if (!Certificates.holds(holder)) throw new CertError('certificate.not_for_account', 403);
    const settings = certificateSettings.of(this.s.config);
    const ca = await caOf(this.s);
    const now = this.s.clock.now();
    const serial = newSerial();
    const notBefore = now - 5 * 60_000; // a few minutes of clock skew between us and the user's computer
    const notAfter = now + settings.validityDays * DAY_MS;
    const { pem, x509 } = signByCa(ca, {
      publicKey: input.publicKey, subject: subjectFor(holder, input.identifier), serial, notBefore, notAfter,
      usage: 'client', crlUrl: `${this.s.config.issuer}/pki/crl`,
    });
    const record: CertRecord = {
      serial, identifier: input.identifier, subject: x509.subject.replace(/\n/g, ', '), accountId: holder.id,
      companyCode: holder.companyCode ?? '', operatorCode: holder.type === 'operator' ? holder.operatorCode ?? '' : '',
      issuedAt: now, notBefore, notAfter, fingerprint: x509.fingerprint256.replace(/:/g, '').toLowerCase(),
      keyFingerprint: input.keyFingerprint, pem, replaces: input.replaces, via: input.via,
    };
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(record)) if (v !== undefined) fields[k] = String(v);
    await this.s.redis.hset(certKeys.cert(serial), fields);
    await Promise.all([
      this.s.redis.zadd(certKeys.ofAccount(holder.id), now, serial),
      this.s.redis.zadd(certKeys.ofCompany(record.companyCode), now, serial),
      this.s.redis.zadd(certKeys.all, now, serial),
    ]);
    await this.s.audit.record({
      event: 'certificate.issue', outcome: 'success', actor: input.actor, subject: holder.id, ip: input.ip,
      reason: `serial ${serial}, identifier ${input.identifier}, ${input.via} key${input.replaces ? `, renews ${input.replaces}` : ''}`,
    });
    return record;
  }

  async get(serial: string): Promise<CertRecord | undefined> {
    if (!SERIAL.test(serial)) return undefined;
    return fromHash(await this.s.redis.hgetall(certKeys.cert(serial)));
  }

  private async many(serials: string[]): Promise<CertRecord[]> {
    const all = await Promise.all(serials.map((x) => this.get(x)));
    return all.filter((r): r is CertRecord => !!r);
  }

  /** An account's certificates, newest first. */
  async ofAccount(accountId: string): Promise<CertRecord[]> {
    return this.many(await this.s.redis.zrevrange(certKeys.ofAccount(accountId), 0, 199));
  }

  /** A company's certificates, newest first. */
  async ofCompany(code: string): Promise<CertRecord[]> {
    return this.many(await this.s.redis.zrevrange(certKeys.ofCompany(code), 0, 999));
  }

  /** The latest certificates of every company (the back office), newest first. */
  async latest(count = 200): Promise<CertRecord[]> {
    return this.many(await this.s.redis.zrevrange(certKeys.all, 0, count - 1));
  }

  /** Revokes a certificate (once: a second revocation keeps the first one's date and reason) and rebuilds the CRL. */
  async revoke(serial: string, reason: RevocationReason, actor: string, ip?: string): Promise<'ok' | 'already' | 'none'> {
    if (!SERIAL.test(serial)) return 'none';
    const [status, at] = await certRevoke.run(this.s.redis, [certKeys.cert(serial)], this.s.clock.now(), reason);
    if (status === 'none') return 'none';
    // Also after 'already': a revocation whose CRL entry was lost half-way is completed here.
    await this.s.redis.zadd(certKeys.revoked, at, serial);
    await refreshCrl(this.s, { force: true });
    if (status === 'ok') {
      const record = await this.get(serial);
      await this.s.audit.record({ event: 'certificate.revoke', outcome: 'success', actor, subject: record?.accountId, ip, reason: `serial ${serial}, ${reason}` });
    }
    return status === 'ok' ? 'ok' : 'already';
  }

  /**
   * Takes an expired or revoked certificate off its account's and company's lists (it stays in the
   * CRL and in the overall record). A valid one must be revoked first.
   */
  async remove(serial: string, actor: string, ip?: string): Promise<boolean> {
    const record = await this.get(serial);
    if (!record || stateOf(record, this.s.clock.now()) === 'active' || stateOf(record, this.s.clock.now()) === 'not_yet_valid') return false;
    await Promise.all([
      this.s.redis.zrem(certKeys.ofAccount(record.accountId), serial),
      this.s.redis.zrem(certKeys.ofCompany(record.companyCode), serial),
      this.s.redis.hset(certKeys.cert(serial), 'removedAt', String(this.s.clock.now())),
    ]);
    await this.s.audit.record({ event: 'certificate.remove', outcome: 'success', actor, subject: record.accountId, ip, reason: `serial ${serial}` });
    return true;
  }

  /**
   * A login with this certificate: the first one of a renewed certificate revokes the one it
   * replaces. Returns the serial revoked, if any.
   */
  async used(record: CertRecord): Promise<string | undefined> {
    const [status, replaces] = await certFirstUse.run(this.s.redis, [certKeys.cert(record.serial)], this.s.clock.now());
    if (status !== 'first' || !replaces) return undefined;
    return (await this.revoke(replaces, 'superseded', `renewal:${record.serial}`)) === 'ok' ? replaces : undefined;
  }

  /** True when the holder already has a certificate for this public key (a renewal needs a new key). */
  async keyKnown(accountId: string, keyFingerprint: string): Promise<boolean> {
    return (await this.ofAccount(accountId)).some((r) => r.keyFingerprint === keyFingerprint);
  }
}

export const certificatesOf = (s: Services) => new Certificates(s);
