// `npm run idp -- company ...`: the branch's company administration from the command line, the same
// actions as the back-office pages, each an audit event. --actor names the back-office person acting
// (a fiscal code with the 'backoffice' role); without it the audit log says 'cli'.
import { CommandError, defineCommand, UsageError, type CommandContext } from '../command.ts';
import type { Services } from '../../services.ts';
import { isValidFiscalCode, normaliseFiscalCode } from '../../accounts/fiscal-code.ts';
import { adminId, Companies, COMPANY_CODE, CompanyError, operatorId, type Company } from '../../companies/companies.ts';
import { credentialStatus, describeStatus } from '../../companies/credential-status.ts';
import {
  ACTIVATION_DAYS, addAccount, createCompany, reissueAdminPassword, setActivationPassword, unlockCompanyCredential, type Actor,
} from '../../companies/branch-actions.ts';
import { PASSWORD_KINDS, type PasswordKind, citizenId } from '../../accounts/accounts.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

/** A password argument; "-" reads it from standard input (the first line), so it stays out of ps and history. */
async function secretArg(value: string): Promise<string> {
  if (value !== '-') return value;
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('no password on standard input');
  return line;
}

const SUBCOMMANDS = ['list', 'create', 'show', 'reset-admin-password', 'set-activation-password', 'unlock', 'add-account'];

async function actorOf(s: Services, values: Values): Promise<Actor> {
  const raw = values.actor;
  if (raw === undefined) return { id: 'cli' };
  const fiscalCode = normaliseFiscalCode(String(raw));
  if (!isValidFiscalCode(fiscalCode)) throw new UsageError('--actor: the fiscal code of a back-office user');
  const account = await s.accounts.findById(citizenId(fiscalCode));
  if (!account || account.disabled || !account.roles?.includes('backoffice')) {
    await s.audit.record({ event: 'access.denied', outcome: 'failure', reason: 'needs role backoffice', actor: citizenId(fiscalCode), subject: 'cli company' });
    throw new CommandError(`${fiscalCode} is not a back-office user: nothing done`);
  }
  return { id: account.id };
}

function code(arg: string | undefined): string {
  if (!arg || !COMPANY_CODE.test(arg)) throw new UsageError('a company code is needed: 8 digits');
  return arg;
}

function days(values: Values, fallback: number): number {
  const raw = values['activation-days'];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || n < ACTIVATION_DAYS.min || n > ACTIVATION_DAYS.max) {
    throw new UsageError(`--activation-days: ${ACTIVATION_DAYS.min} to ${ACTIVATION_DAYS.max}`);
  }
  return n;
}

async function describe(s: Services, company: Company) {
  const admin = adminId(company.code);
  const companies = new Companies(s);
  const operators = await Promise.all((await companies.operatorCodes(company.code)).map(async (op) => {
    const id = operatorId(company.code, op);
    const account = await s.accounts.findById(id);
    return {
      code: op, disabled: !!account?.disabled, grants: await companies.grants(id),
      operator: await credentialStatus(s, id, 'operator'), dispositive: await credentialStatus(s, id, 'dispositive'),
    };
  }));
  return {
    ...company,
    administrator: await credentialStatus(s, admin, 'administrator'),
    activation: await credentialStatus(s, admin, 'activation'),
    operators,
  };
}

async function run(args: string[], values: Values, ctx: CommandContext): Promise<string> {
  const [sub, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(sub ? `unknown company command: ${sub}` : `company: one of ${SUBCOMMANDS.join(', ')}`);
  const json = !!values.json;
  const { services: s } = await ctx.idp();
  const companies = new Companies(s);
  const english = (err: unknown): never => {
    if (err instanceof CompanyError) throw new CommandError(s.views.strings.t('en', err.key, err.params));
    throw err;
  };

  if (sub === 'list') {
    const list = await companies.list(typeof values.search === 'string' ? values.search : '');
    if (json) return JSON.stringify(list.map((c) => ({ code: c.code, name: c.name, accounts: c.accounts.length })));
    return list.map((c) => `${c.code}  ${c.name}  (${c.accounts.length} accounts)`).join('\n') || '(no companies)';
  }

  const c = code(rest[0]);
  if (sub === 'show') {
    const company = await companies.get(c);
    if (!company) throw new CommandError(`no such company: ${c}`);
    const d = await describe(s, company);
    if (json) return JSON.stringify(d);
    const lines = [
      `company ${d.code}  ${d.name}`,
      `contacts: email ${d.email ?? '-'}, phone ${d.phone ?? '-'}`,
      'telematic accounts:',
      ...(d.accounts.length ? d.accounts.map((a) => `  ${a.number}  ${a.functions.join(', ') || '(no functions)'}`) : ['  (none)']),
      `administrator password: ${describeStatus(d.administrator)}`,
      `activation password: ${describeStatus(d.activation)}`,
      'operators:',
      ...d.operators.map((o) => `  ${o.code.padEnd(20)} ${o.disabled ? 'DISABLED' : 'enabled'}; operator password: ${describeStatus(o.operator)}; dispositive password: ${describeStatus(o.dispositive)}; accounts ${o.grants.accounts.join(',') || '-'}; functions ${o.grants.functions.join(',') || '-'}`),
    ];
    return lines.join('\n');
  }

  const actor = await actorOf(s, values);
  if (sub === 'create') {
    if (typeof values.name !== 'string') throw new UsageError('company create needs --name');
    if (typeof values['activation-password'] !== 'string') throw new UsageError('company create needs --activation-password (the one the customer chose; - reads it from standard input)');
    const activationPassword = await secretArg(values['activation-password']);
    const accounts = ((values.account as string[] | undefined) ?? []).flatMap((a) => a.split(','));
    const { company, adminPassword } = await createCompany(s, {
      code: c, name: values.name, activationPassword, activationDays: days(values, s.config.passwords.activation.expiryDays), accounts,
    }, actor).catch(english);
    if (json) return JSON.stringify({ created: company.code, name: company.name, accounts: company.accounts.map((a) => a.number), admin_password: adminPassword, default_operator: `OPER${company.code}` });
    return [
      `created company ${company.code} (${company.name}) with ${company.accounts.length} telematic account(s)`,
      `administrator password (give it to the customer; it must be changed at first use): ${adminPassword}`,
      `default operator OPER${company.code}: operator and dispositive passwords equal the activation password, to be changed at first use`,
    ].join('\n');
  }
  if (sub === 'reset-admin-password') {
    const password = await reissueAdminPassword(s, c, actor).catch(english);
    return json ? JSON.stringify({ company: c, admin_password: password }) : `new administrator password for ${c} (must be changed at first use): ${password}`;
  }
  if (sub === 'set-activation-password') {
    const given = rest[1] ?? (typeof values['activation-password'] === 'string' ? values['activation-password'] : undefined);
    if (!given) throw new UsageError('company set-activation-password CODE PASSWORD|- [--activation-days N]');
    const password = await secretArg(given);
    const { expiresAt } = await setActivationPassword(s, c, password, days(values, s.config.passwords.activation.expiryDays), actor).catch(english);
    const until = new Date(expiresAt).toISOString();
    return json ? JSON.stringify({ company: c, activation_expires_at: until }) : `activation password of ${c} set (and unlocked); valid until ${until.slice(0, 10)}`;
  }
  if (sub === 'unlock') {
    const kind = (values.kind ?? 'activation') as PasswordKind;
    if (!PASSWORD_KINDS.includes(kind)) throw new UsageError(`--kind: one of ${PASSWORD_KINDS.join(', ')}`);
    await unlockCompanyCredential(s, c, kind, actor).catch(english);
    return json ? JSON.stringify({ company: c, unlocked: kind }) : `unlocked the activation password of ${c}`;
  }
  // add-account
  const number = rest[1];
  if (!number) throw new UsageError('company add-account CODE NUMBER');
  await addAccount(s, c, number, actor).catch(english);
  return json ? JSON.stringify({ company: c, added: number }) : `added telematic account ${number} to ${c} (no functions yet: the administrator enables them)`;
}

export default defineCommand({
  name: 'company',
  usage: [
    'company list [--search TEXT]                       companies',
    'company create CODE --name NAME --activation-password PW [--activation-days 15-30] [--account NUMBER]...',
    'company show CODE                                  data, accounts, operators, password states',
    'company reset-admin-password CODE                  a new 10-digit administrator password (also unlocks)',
    'company set-activation-password CODE PASSWORD [--activation-days 15-30]   (also unlocks; PASSWORD - reads it from standard input, out of ps and shell history)',
    'company unlock CODE                                unlock the activation password',
    'company add-account CODE NUMBER                    add a telematic account',
    '  (company actions take --actor FISCAL_CODE: the back-office user acting, recorded in the audit log)',
  ],
  options: {
    name: { type: 'string' }, 'activation-password': { type: 'string' }, 'activation-days': { type: 'string' },
    account: { type: 'string', multiple: true }, kind: { type: 'string' }, actor: { type: 'string' }, search: { type: 'string' },
  },
  run,
});
