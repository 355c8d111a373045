// What a company's administrator does in the administration pages: company contacts, the functions
// each telematic account enables, operators (create, accounts and functions, re-issue the operator
// or dispositive password, disable). The caller has checked that the actor administers `code`; each
// action is one audit event (never a password).
import type { Services } from '../services.ts';
import { checkPasswordPolicy } from '../accounts/password-policy.ts';
import { Companies, CompanyError, defaultOperatorCode, OPERATOR_CODE, operatorId, type OperatorGrants } from './companies.ts';
import type { Actor } from './branch-actions.ts';

export type OperatorPasswordKind = 'operator' | 'dispositive';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[1-9]\d{6,14}$/;

function policyCheck(s: Services, kind: OperatorPasswordKind, password: string, field: string): void {
  const policy = s.config.passwords[kind];
  const violation = checkPasswordPolicy(password, policy);
  if (violation) throw new CompanyError(violation, { min: policy.minLength, max: policy.maxLength, field });
}

async function operatorOf(s: Services, code: string, operator: string) {
  const account = OPERATOR_CODE.test(operator) ? await s.accounts.findById(operatorId(code, operator.toUpperCase())) : undefined;
  if (!account || account.type !== 'operator' || account.companyCode !== code) throw new CompanyError('company.operator_unknown', { operator });
  return account;
}

export async function setCompanyContacts(s: Services, code: string, contacts: { email: string; phone: string }, actor: Actor): Promise<void> {
  const email = contacts.email.trim();
  const phone = contacts.phone.replace(/\s+/g, '');
  if (email && !EMAIL.test(email)) throw new CompanyError('company.email_invalid');
  if (phone && !PHONE.test(phone)) throw new CompanyError('company.phone_invalid');
  await new Companies(s).setContacts(code, { email, phone });
  await s.audit.record({ event: 'company.update', outcome: 'success', reason: 'contacts', actor: actor.id, subject: code, ip: actor.ip });
}

export async function setAccountFunctions(s: Services, code: string, number: string, functions: string[], actor: Actor): Promise<void> {
  const companies = new Companies(s);
  const company = await companies.get(code);
  if (!company?.accounts.some((a) => a.number === number)) throw new CompanyError('company.account_unknown', { number });
  const catalog = companies.functionCatalog(company);
  const unknown = functions.find((f) => !catalog.includes(f));
  if (unknown !== undefined) throw new CompanyError('company.function_unknown', { function: unknown });
  const chosen = catalog.filter((f) => functions.includes(f));
  let found = false;
  await companies.updateAccounts(code, (accounts) => accounts.map((a) => {
    if (a.number !== number) return a;
    found = true;
    return { number, functions: chosen };
  }));
  if (!found) throw new CompanyError('company.account_unknown', { number });
  await s.audit.record({ event: 'company.account.functions', outcome: 'success', reason: `${number}: ${chosen.join(',') || '-'}`, actor: actor.id, subject: code, ip: actor.ip });
}

export interface NewOperator {
  operatorCode: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  operatorPassword: string;
  dispositivePassword: string;
}

/** A new operator; both passwords are set by the administrator and expire at first use. */
export async function createOperator(s: Services, code: string, input: NewOperator, actor: Actor): Promise<string> {
  const op = input.operatorCode.trim().toUpperCase();
  if (!OPERATOR_CODE.test(op)) throw new CompanyError('company.operator_code_invalid');
  const email = input.email?.trim() || undefined;
  if (email && !EMAIL.test(email)) throw new CompanyError('company.email_invalid');
  for (const n of [input.givenName, input.familyName]) if (n && n.length > 100) throw new CompanyError('company.name_invalid');
  policyCheck(s, 'operator', input.operatorPassword, 'operator_password');
  policyCheck(s, 'dispositive', input.dispositivePassword, 'dispositive_password');
  const companies = new Companies(s);
  const company = await companies.get(code);
  if (!company) throw new CompanyError('company.unknown', { code });
  if (op === defaultOperatorCode(code) || !(await companies.claimOperator(code, op))) {
    await s.audit.record({ event: 'company.operator.create', outcome: 'failure', reason: 'exists', actor: actor.id, subject: operatorId(code, op), ip: actor.ip });
    throw new CompanyError('company.operator_exists', { operator: op });
  }
  const id = operatorId(code, op);
  await s.accounts.upsert({
    id, type: 'operator', companyCode: code, companyName: company.name, operatorCode: op,
    givenName: input.givenName?.trim() || undefined, familyName: input.familyName?.trim() || undefined, email,
  });
  await s.passwords.set(id, 'operator', input.operatorPassword, { mustChange: true });
  await s.passwords.set(id, 'dispositive', input.dispositivePassword, { mustChange: true });
  await companies.setGrants(id, { accounts: [], functions: [] });
  await s.audit.record({ event: 'company.operator.create', outcome: 'success', actor: actor.id, subject: id, ip: actor.ip });
  return op;
}

export async function setOperatorGrants(s: Services, code: string, operator: string, grants: OperatorGrants, actor: Actor): Promise<void> {
  const account = await operatorOf(s, code, operator);
  const companies = new Companies(s);
  const company = (await companies.get(code))!;
  const numbers = company.accounts.map((a) => a.number);
  const catalog = companies.functionCatalog(company);
  const badAccount = grants.accounts.find((a) => !numbers.includes(a));
  if (badAccount !== undefined) throw new CompanyError('company.account_unknown', { number: badAccount });
  const badFunction = grants.functions.find((f) => !catalog.includes(f));
  if (badFunction !== undefined) throw new CompanyError('company.function_unknown', { function: badFunction });
  const chosen = { accounts: numbers.filter((n) => grants.accounts.includes(n)), functions: catalog.filter((f) => grants.functions.includes(f)) };
  await companies.setGrants(account.id, chosen);
  await s.audit.record({
    event: 'company.operator.grants', outcome: 'success', actor: actor.id, subject: account.id, ip: actor.ip,
    reason: `accounts ${chosen.accounts.join(',') || '-'}; functions ${chosen.functions.join(',') || '-'}`,
  });
}

/** A new operator or dispositive password, set by the administrator: unlocks, expires at first use. */
export async function reissueOperatorPassword(s: Services, code: string, operator: string, kind: OperatorPasswordKind, password: string, actor: Actor): Promise<void> {
  const account = await operatorOf(s, code, operator);
  policyCheck(s, kind, password, 'new_password');
  await s.passwords.set(account.id, kind, password, { mustChange: true });
  await s.audit.record({ event: 'credential.reissue', outcome: 'success', reason: kind, actor: actor.id, subject: account.id, ip: actor.ip });
}

export async function setOperatorDisabled(s: Services, code: string, operator: string, disabled: boolean, actor: Actor): Promise<void> {
  const account = await operatorOf(s, code, operator);
  await new Companies(s).setDisabled(account.id, disabled);
  await s.audit.record({ event: disabled ? 'company.operator.disable' : 'company.operator.enable', outcome: 'success', actor: actor.id, subject: account.id, ip: actor.ip });
}
