// What the bank branch (the back office) does for a company: create it with its administrator and
// default operator, issue a new administrator password, set the activation password and its expiry,
// unlock the activation password, add telematic accounts. The command line and the back-office pages
// both call these; each action is one audit event, with the acting person (never a password).
import { randomInt } from 'node:crypto';
import { DAY_MS } from '../clock.ts';
import type { Services } from '../services.ts';
import type { PasswordKind } from '../accounts/accounts.ts';
import { checkPasswordPolicy } from '../accounts/password-policy.ts';
import {
  ACCOUNT_NUMBER, adminId, Companies, COMPANY_CODE, CompanyError, defaultOperatorCode, operatorId, type Company,
} from './companies.ts';

/** The activation password's life, as the branch sets it (the bank's rule: 15 to 30 days). */
export const ACTIVATION_DAYS = { min: 15, max: 30 } as const;

export interface Actor { id: string; ip?: string }

/** The administrator password as the branch issues it: 10 random digits. */
export function issueAdminPassword(): string {
  let out = '';
  for (let i = 0; i < 10; i += 1) out += String(randomInt(10));
  return out;
}

function checkActivation(s: Services, password: string, days: number): void {
  const violation = checkPasswordPolicy(password, s.config.passwords.activation);
  if (violation) throw new CompanyError(violation, { min: s.config.passwords.activation.minLength, max: s.config.passwords.activation.maxLength });
  if (!Number.isInteger(days) || days < ACTIVATION_DAYS.min || days > ACTIVATION_DAYS.max) throw new CompanyError('company.activation_days', ACTIVATION_DAYS);
}

async function mustExist(s: Services, code: string): Promise<Company> {
  if (!COMPANY_CODE.test(code)) throw new CompanyError('company.code_invalid');
  const company = await new Companies(s).get(code);
  if (!company) throw new CompanyError('company.unknown', { code });
  return company;
}

export interface NewCompany {
  code: string;
  name: string;
  activationPassword: string;
  activationDays: number;
  accounts: string[];
}

/**
 * Creates the company, its administrator (a branch-issued password, expired at first use), its
 * activation password and the default operator OPER<code>, whose operator and dispositive passwords
 * equal the activation password and are expired at first use. Returns the administrator password:
 * the one time it is shown.
 */
export async function createCompany(s: Services, input: NewCompany, actor: Actor): Promise<{ company: Company; adminPassword: string }> {
  const name = input.name.trim();
  if (!COMPANY_CODE.test(input.code)) throw new CompanyError('company.code_invalid');
  if (!name || name.length > 200) throw new CompanyError('company.name_invalid');
  checkActivation(s, input.activationPassword, input.activationDays);
  const numbers = [...new Set(input.accounts)];
  const bad = numbers.find((n) => !ACCOUNT_NUMBER.test(n));
  if (bad !== undefined) throw new CompanyError('company.account_invalid', { number: bad });

  const companies = new Companies(s);
  if (!(await companies.claim(input.code, name))) {
    await s.audit.record({ event: 'company.create', outcome: 'failure', reason: 'exists', actor: actor.id, subject: input.code, ip: actor.ip });
    throw new CompanyError('company.exists', { code: input.code });
  }
  await companies.updateAccounts(input.code, () => numbers.map((number) => ({ number, functions: [] })));
  const admin = adminId(input.code);
  await s.accounts.upsert({ id: admin, type: 'administrator', companyCode: input.code, companyName: name });
  const adminPassword = issueAdminPassword();
  await s.passwords.set(admin, 'administrator', adminPassword, { mustChange: true });
  await s.passwords.set(admin, 'activation', input.activationPassword, { mustChange: false, expiresAt: s.clock.now() + input.activationDays * DAY_MS });
  const oper = defaultOperatorCode(input.code);
  const operId = operatorId(input.code, oper);
  await s.accounts.upsert({ id: operId, type: 'operator', companyCode: input.code, companyName: name, operatorCode: oper });
  await companies.addOperatorToIndex(input.code, oper);
  await s.passwords.set(operId, 'operator', input.activationPassword, { mustChange: true });
  await s.passwords.set(operId, 'dispositive', input.activationPassword, { mustChange: true });
  await companies.setGrants(operId, { accounts: [], functions: [] });
  await s.audit.record({ event: 'company.create', outcome: 'success', actor: actor.id, subject: input.code, ip: actor.ip, reason: `${numbers.length} accounts` });
  return { company: (await companies.get(input.code))!, adminPassword };
}

/** A new administrator password (the branch's answer to a locked or forgotten one); also unlocks. */
export async function reissueAdminPassword(s: Services, code: string, actor: Actor): Promise<string> {
  await mustExist(s, code);
  const password = issueAdminPassword();
  await s.passwords.set(adminId(code), 'administrator', password, { mustChange: true });
  await s.audit.record({ event: 'credential.reissue', outcome: 'success', reason: 'administrator', actor: actor.id, subject: adminId(code), ip: actor.ip });
  return password;
}

/** The activation password the customer chose at the branch, valid for `days` (15-30); also unlocks. */
export async function setActivationPassword(s: Services, code: string, password: string, days: number, actor: Actor): Promise<{ expiresAt: number }> {
  await mustExist(s, code);
  checkActivation(s, password, days);
  const expiresAt = s.clock.now() + days * DAY_MS;
  await s.passwords.set(adminId(code), 'activation', password, { mustChange: false, expiresAt });
  await s.audit.record({ event: 'credential.reissue', outcome: 'success', reason: 'activation', actor: actor.id, subject: adminId(code), ip: actor.ip });
  return { expiresAt };
}

/**
 * The branch unlocks the activation password. The other kinds have their own path: the branch issues
 * a new administrator password, and the company administrator re-issues operator passwords.
 */
export async function unlockCompanyCredential(s: Services, code: string, kind: PasswordKind, actor: Actor): Promise<void> {
  await mustExist(s, code);
  if (kind === 'administrator') throw new CompanyError('company.unlock_admin_by_reissue');
  if (kind !== 'activation') throw new CompanyError('company.unlock_by_administrator');
  if (!(await s.passwords.unlock(adminId(code), 'activation'))) throw new CompanyError('company.no_activation');
  await s.audit.record({ event: 'credential.unlock', outcome: 'success', reason: 'activation', actor: actor.id, subject: adminId(code), ip: actor.ip });
}

export async function addAccount(s: Services, code: string, number: string, actor: Actor): Promise<void> {
  await mustExist(s, code);
  if (!ACCOUNT_NUMBER.test(number)) throw new CompanyError('company.account_invalid', { number });
  let existed = false;
  await new Companies(s).updateAccounts(code, (accounts) => {
    existed = accounts.some((a) => a.number === number);
    return existed ? accounts : [...accounts, { number, functions: [] }];
  });
  if (existed) throw new CompanyError('company.account_exists', { number });
  await s.audit.record({ event: 'company.account.add', outcome: 'success', reason: number, actor: actor.id, subject: code, ip: actor.ip });
}
