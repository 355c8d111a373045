// Accounts: who can log in. The id is derived from what the user types (so a login needs one read),
// the subject (sub) is a random identifier that never changes and reveals nothing.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../store/keys.ts';

export type AccountType = 'citizen' | 'operator' | 'administrator';
export const PASSWORD_KINDS = ['activation', 'administrator', 'operator', 'dispositive', 'personal'] as const;
export type PasswordKind = (typeof PASSWORD_KINDS)[number];

export interface Account {
  id: string;
  sub: string;
  type: AccountType;
  fiscalCode?: string;
  memberCode?: string;
  companyCode?: string;
  companyName?: string;
  operatorCode?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  phone?: string;
  disabled?: boolean;
  /** Extra roles, e.g. 'backoffice' for bank-branch staff. */
  roles?: string[];
}

/** What a user types on the identify page, normalised. */
export type LoginName =
  | { type: 'citizen'; fiscalCode: string }
  | { type: 'company'; companyCode: string; operatorCode?: string };

export function accountIdFor(name: LoginName): string {
  if (name.type === 'citizen') return `C.${name.fiscalCode}`;
  return name.operatorCode ? `O.${name.companyCode}.${name.operatorCode}` : `A.${name.companyCode}`;
}

/** The account id of a citizen or member. */
export function citizenId(fiscalCode: string): string {
  return accountIdFor({ type: 'citizen', fiscalCode });
}

/** The inverse of accountIdFor: the name an account id stands for (undefined for anything else). */
export function loginNameOf(id: string): LoginName | undefined {
  const m = /^(?:C\.([A-Z0-9]+)|A\.(\d{8})|O\.(\d{8})\.([A-Za-z0-9]+))$/.exec(id);
  if (!m) return undefined;
  if (m[1]) return { type: 'citizen', fiscalCode: m[1] };
  return m[2] ? { type: 'company', companyCode: m[2] } : { type: 'company', companyCode: m[3]!, operatorCode: m[4] };
}

/** How a login name is written for people: the fiscal code, or company code / operator code. */
export function displayName(name: LoginName): string {
  return name.type === 'citizen' ? name.fiscalCode : [name.companyCode, name.operatorCode].filter(Boolean).join(' / ');
}

/** The account type a login name stands for (its id says it: citizen, company administrator, operator). */
export function accountTypeOf(name: LoginName): AccountType {
  return name.type === 'citizen' ? 'citizen' : name.operatorCode ? 'operator' : 'administrator';
}

/** The password a login of this account type asks for. */
export function loginPasswordKind(type: AccountType): PasswordKind {
  return type === 'citizen' ? 'personal' : type === 'administrator' ? 'administrator' : 'operator';
}

const FIELDS: (keyof Account)[] = [
  'sub', 'type', 'fiscalCode', 'memberCode', 'companyCode', 'companyName', 'operatorCode',
  'givenName', 'familyName', 'email', 'phone',
];

function fromHash(id: string, h: Record<string, string>): Account | undefined {
  if (!h.sub || !h.type) return undefined;
  const account: Account = { id, sub: h.sub, type: h.type as AccountType };
  for (const f of FIELDS) if (h[f] !== undefined && f !== 'sub' && f !== 'type') (account as unknown as Record<string, string>)[f] = h[f]!;
  if (h.disabled === '1') account.disabled = true;
  if (h.roles) account.roles = h.roles.split(',').filter(Boolean);
  return account;
}

export class Accounts {
  // sub → account id never changes once made, so it can be remembered (bounded).
  private readonly subs = new Map<string, string>();

  constructor(private readonly redis: Redis) {}

  async findById(id: string): Promise<Account | undefined> {
    return fromHash(id, await this.redis.hgetall(keys.account(id)));
  }

  async findBySub(sub: string): Promise<Account | undefined> {
    let id = this.subs.get(sub);
    if (!id) {
      id = (await this.redis.get(keys.subject(sub))) ?? undefined;
      if (!id) return undefined;
      if (this.subs.size >= 10_000) this.subs.clear();
      this.subs.set(sub, id);
    }
    return this.findById(id);
  }

  /** Sets the email address or the mobile number on record (after a reviewed contact change). */
  async setContact(id: string, field: 'email' | 'phone', value: string): Promise<void> {
    await this.redis.hset(keys.account(id), field, value);
  }

  /** Creates the account or updates its profile; the sub of an existing account is kept. */
  async upsert(data: Omit<Account, 'sub'>): Promise<{ account: Account; created: boolean }> {
    const key = keys.account(data.id);
    const fresh = randomUUID();
    // HSETNX makes concurrent imports agree on one sub.
    const created = (await this.redis.hsetnx(key, 'sub', fresh)) === 1;
    const sub = created ? fresh : (await this.redis.hget(key, 'sub'))!;
    const fields: Record<string, string> = {};
    for (const f of FIELDS) {
      const v = (data as unknown as Record<string, unknown>)[f];
      if (typeof v === 'string' && f !== 'sub') fields[f] = v;
    }
    // Left as they are unless given: a re-import must not re-enable what an administrator disabled.
    if (data.disabled !== undefined) fields.disabled = data.disabled ? '1' : '0';
    if (data.roles !== undefined) fields.roles = data.roles.join(',');
    await this.redis.hset(key, fields);
    if (created) await this.redis.set(keys.subject(sub), data.id);
    return { account: { ...data, sub }, created };
  }
}
