// Companies of the treasury service: the 8-digit code (never changes), the name and contacts, the
// telematic accounts with the functions each enables, and the operators with the accounts and
// functions the administrator gave each of them. The credentials live with the accounts
// (accounts/passwords.ts); this module only knows who belongs to which company.
import type { Services } from '../services.ts';
import { keys } from '../store/keys.ts';
import type { Account } from '../accounts/accounts.ts';
import { accountIdFor } from '../accounts/accounts.ts';

export const COMPANY_CODE = /^\d{8}$/;
export const OPERATOR_CODE = /^[A-Za-z0-9]{1,20}$/;
export const ACCOUNT_NUMBER = /^\d{10}$/;

export interface TelematicAccount { number: string; functions: string[] }

export interface Company {
  code: string;
  name: string;
  email?: string;
  phone?: string;
  accounts: TelematicAccount[];
}

/** What an operator may use: some of the company's accounts, some functions. */
export interface OperatorGrants { accounts: string[]; functions: string[] }

export const adminId = (company: string) => accountIdFor({ type: 'company', companyCode: company });
export const operatorId = (company: string, operator: string) => accountIdFor({ type: 'company', companyCode: company, operatorCode: operator });
export const defaultOperatorCode = (company: string) => `OPER${company}`;

export class CompanyError extends Error {
  constructor(readonly key: string, readonly params: Record<string, string | number> = {}) { super(key); }

  /** The form field the error is about, for the page that shows it (params.field when the action says). */
  get field(): string | undefined {
    return typeof this.params.field === 'string' ? this.params.field : FIELD_OF[this.key];
  }
}

const FIELD_OF: Record<string, string> = {
  'company.operator_code_invalid': 'operator_code', 'company.operator_exists': 'operator_code', 'company.email_invalid': 'email',
  'company.phone_invalid': 'phone', 'company.name_invalid': 'name', 'company.code_invalid': 'company_code', 'company.exists': 'company_code',
  'company.activation_days': 'activation_days', 'company.account_exists': 'number',
};

type Deps = Pick<Services, 'redis' | 'accounts' | 'config'>;

function parseAccounts(raw: string | undefined): TelematicAccount[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((a): a is TelematicAccount => typeof a?.number === 'string')
      .map((a) => ({ number: a.number, functions: Array.isArray(a.functions) ? a.functions.filter((f: unknown): f is string => typeof f === 'string') : [] }));
  } catch {
    return [];
  }
}

function parseList(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export class Companies {
  constructor(private readonly s: Deps) {}

  async get(code: string): Promise<Company | undefined> {
    if (!COMPANY_CODE.test(code)) return undefined;
    const h = await this.s.redis.hgetall(keys.company(code));
    if (!h.code) return undefined;
    return { code: h.code, name: h.name ?? '', email: h.email || undefined, phone: h.phone || undefined, accounts: parseAccounts(h.accounts) };
  }

  /** Every company code, sorted; `q` keeps those whose code or name contains it. */
  async list(q = ''): Promise<Company[]> {
    const codes = (await this.s.redis.smembers(keys.companies)).sort();
    const all = await Promise.all(codes.map((c) => this.get(c)));
    const needle = q.trim().toLowerCase();
    return all.filter((c): c is Company => !!c && (!needle || c.code.includes(needle) || c.name.toLowerCase().includes(needle)));
  }

  /** Creates the record; false when the code is taken (HSETNX: two creations cannot both win). */
  async claim(code: string, name: string): Promise<boolean> {
    if ((await this.s.redis.hsetnx(keys.company(code), 'code', code)) === 0) return false;
    await this.s.redis.hset(keys.company(code), { name, accounts: '[]' });
    await this.s.redis.sadd(keys.companies, code);
    return true;
  }

  async setContacts(code: string, contacts: { email?: string; phone?: string }): Promise<void> {
    await this.s.redis.hset(keys.company(code), { email: contacts.email ?? '', phone: contacts.phone ?? '' });
  }

  /**
   * Changes the accounts list through compare-and-set on the stored JSON, so that two concurrent
   * changes (two accounts edited at once) cannot lose one another. Retries a bounded number of times.
   */
  async updateAccounts(code: string, change: (accounts: TelematicAccount[]) => TelematicAccount[]): Promise<TelematicAccount[]> {
    const key = keys.company(code);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const raw = (await this.s.redis.hget(key, 'accounts')) ?? '';
      const next = change(parseAccounts(raw));
      if ((await this.s.redis.hashCompareAndSet(key, 'accounts', raw, JSON.stringify(next))) === 1) return next;
    }
    throw new CompanyError('company.busy');
  }

  /** The catalogue of functions: the configured ones, then any an account already has. */
  functionCatalog(company: Company | undefined): string[] {
    const out = [...this.s.config.treasuryFunctions];
    for (const a of company?.accounts ?? []) for (const f of a.functions) if (!out.includes(f)) out.push(f);
    return out;
  }

  async operatorCodes(code: string): Promise<string[]> {
    return (await this.s.redis.smembers(keys.companyOperators(code))).sort();
  }

  /** Reserves an operator code in its company; false when it exists (SADD: one winner). */
  async claimOperator(code: string, operator: string): Promise<boolean> {
    if (await this.s.accounts.findById(operatorId(code, operator))) return false;
    return (await this.s.redis.sadd(keys.companyOperators(code), operator)) === 1;
  }

  async addOperatorToIndex(code: string, operator: string): Promise<void> {
    await this.s.redis.sadd(keys.companyOperators(code), operator);
  }

  async grants(accountId: string): Promise<OperatorGrants> {
    const h = await this.s.redis.hgetall(keys.operatorGrants(accountId));
    return { accounts: parseList(h.accounts), functions: parseList(h.functions) };
  }

  /** Replaces an operator's grants (one HSET). */
  async setGrants(accountId: string, grants: OperatorGrants): Promise<void> {
    await this.s.redis.hset(keys.operatorGrants(accountId), { accounts: JSON.stringify(grants.accounts), functions: JSON.stringify(grants.functions) });
  }

  /** Sets the grants only when the operator has none yet (a re-import keeps the administrator's). */
  async initialGrants(accountId: string, grants: OperatorGrants): Promise<void> {
    await this.s.redis.hsetnx(keys.operatorGrants(accountId), 'accounts', JSON.stringify(grants.accounts));
    await this.s.redis.hsetnx(keys.operatorGrants(accountId), 'functions', JSON.stringify(grants.functions));
  }

  async setDisabled(accountId: string, disabled: boolean): Promise<void> {
    await this.s.redis.hset(keys.account(accountId), 'disabled', disabled ? '1' : '0');
  }
}

/**
 * What an operator may do, for the `treasury` scope: each granted account that the company still
 * has, with the functions both the account enables and the operator was given.
 */
export async function treasuryClaims(s: Deps, account: Account): Promise<{ accounts?: TelematicAccount[]; functions?: string[] }> {
  if (account.type !== 'operator' || !account.companyCode) return {};
  const companies = new Companies(s);
  const [company, grants] = await Promise.all([companies.get(account.companyCode), companies.grants(account.id)]);
  const accounts: TelematicAccount[] = [];
  for (const a of company?.accounts ?? []) {
    if (!grants.accounts.includes(a.number)) continue;
    accounts.push({ number: a.number, functions: a.functions.filter((f) => grants.functions.includes(f)) });
  }
  const functions = [...new Set(accounts.flatMap((a) => a.functions))];
  return { accounts, functions };
}
