// Loads clients, citizens, companies and operators from a JSON file, idempotently: accounts are
// created or updated, passwords are set only where none exists yet (a re-import never undoes a
// password the user has changed). The whole file is validated first; an invalid file changes nothing.
import { readFileSync, statSync } from 'node:fs';
import { findNodeAtLocation, parseTree, type ParseError, printParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import type Provider from 'oidc-provider';
import type { Services } from '../services.ts';
import type { PasswordKind } from '../accounts/accounts.ts';
import { citizenId } from '../accounts/accounts.ts';
import { isValidFiscalCode } from '../accounts/fiscal-code.ts';
import { checkPasswordPolicy } from '../accounts/password-policy.ts';
import { keys } from '../store/keys.ts';
import { saveClient } from '../store/oidc-adapter.ts';
import { adminId, Companies, defaultOperatorCode, operatorId } from '../companies/companies.ts';

const code = (re: RegExp, what: string) => z.string().regex(re, { error: what });
const text = z.string().min(1).max(200);

const client = z.looseObject({
  client_id: z.string().min(1).max(200),
  client_secret: z.string().min(16, { error: 'client_secret: at least 16 characters' }).max(500).optional(),
  redirect_uris: z.array(z.url()).min(1),
  first_party: z.boolean().optional(),
  default_acr_values: z.array(z.string()).optional(),
});

const citizen = z.strictObject({
  fiscal_code: z.string().transform((v) => v.toUpperCase()).refine(isValidFiscalCode, { error: 'not a valid fiscal code (format or check character)' }),
  password: z.string().min(1).max(256),
  must_change: z.boolean().default(true),
  given_name: text.optional(),
  family_name: text.optional(),
  email: z.email().optional(),
  phone: code(/^\+[1-9]\d{6,14}$/, 'phone: international format, e.g. +393331234567').optional(),
  member_code: code(/^[A-Za-z0-9]{1,20}$/, 'member_code: 1-20 letters or digits').optional(),
  roles: z.array(z.enum(['backoffice'])).optional(),
  // A secure channel already registered elsewhere (migration): the contact of that kind on record.
  secure_channel: z.enum(['email', 'sms']).optional(),
});

const operator = z.strictObject({
  code: code(/^[A-Za-z0-9]{1,20}$/, 'operator code: 1-20 letters or digits, no spaces').transform((v) => v.toUpperCase()),
  password: z.string().min(1).max(256),
  dispositive_password: z.string().min(1).max(256).optional(),
  must_change: z.boolean().default(true),
  given_name: text.optional(),
  family_name: text.optional(),
  email: z.email().optional(),
  phone: code(/^\+[1-9]\d{6,14}$/, 'phone: international format, e.g. +393331234567').optional(),
  // The secure channel (codes of payment confirmations), registered at the branch: the contact of that kind.
  secure_channel: z.enum(['email', 'sms']).optional(),
  // What the operator may use: some of the company's accounts and functions (set on first import only).
  accounts: z.array(code(/^\d{10}$/, 'telematic account: 10 digits')).optional(),
  functions: z.array(z.string().min(1).max(50)).optional(),
});

const company = z.strictObject({
  code: code(/^\d{8}$/, 'company code: 8 digits'),
  name: text,
  activation_password: z.string().min(1).max(256),
  admin_password: code(/^\d{10}$/, 'admin_password: 10 digits, as issued by the branch'),
  accounts: z.array(z.strictObject({
    number: code(/^\d{10}$/, 'telematic account: 10 digits'),
    functions: z.array(z.string().min(1).max(50)).default([]),
  })).default([]),
  operators: z.array(operator).default([]),
});

export const importSchema = z.strictObject({
  clients: z.array(client).default([]),
  citizens: z.array(citizen).default([]),
  companies: z.array(company).default([]),
});
export type ImportData = z.infer<typeof importSchema>;

export class ImportError extends Error {}

function lineOf(textBody: string, offset: number): number {
  return textBody.slice(0, offset).split('\n').length;
}

function pathString(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Parses and validates; errors name the file, the line and the field. */
export function parseImport(textBody: string, source: string, services: Pick<Services, 'config'>): ImportData {
  const errors: ParseError[] = [];
  const tree = parseTree(textBody, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length || !tree) {
    const e = errors[0];
    throw new ImportError(`${source}:${e ? lineOf(textBody, e.offset) : 1}: not valid JSON (${e ? printParseErrorCode(e.error) : 'empty'})`);
  }
  const fail = (path: PropertyKey[], message: string): never => {
    let node = findNodeAtLocation(tree, path.filter((p): p is string | number => typeof p !== 'symbol'));
    for (let cut = path.length; !node && cut > 0; cut -= 1) node = findNodeAtLocation(tree, path.slice(0, cut) as (string | number)[]);
    throw new ImportError(`${source}:${lineOf(textBody, node?.offset ?? 0)}: ${pathString(path) || 'file'}: ${message}`);
  };
  const parsed = importSchema.safeParse(JSON.parse(textBody));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(issue.path, issue.message);
  }
  const data = parsed.data;
  const { passwords } = services.config;
  const policyCheck = (path: PropertyKey[], kind: PasswordKind, value: string) => {
    const violation = checkPasswordPolicy(value, passwords[kind]);
    if (violation) fail(path, `${kind} password breaks the policy (${violation})`);
  };
  const seen = new Set<string>();
  const unique = (path: PropertyKey[], key: string) => {
    if (seen.has(key)) fail(path, `duplicate ${key}`);
    seen.add(key);
  };
  data.clients.forEach((c, i) => unique(['clients', i, 'client_id'], `client ${c.client_id}`));
  data.citizens.forEach((c, i) => {
    unique(['citizens', i, 'fiscal_code'], `citizen ${c.fiscal_code}`);
    policyCheck(['citizens', i, 'password'], 'personal', c.password);
    if (c.secure_channel && !(c.secure_channel === 'email' ? c.email : c.phone)) fail(['citizens', i, 'secure_channel'], `secure_channel ${c.secure_channel}: no ${c.secure_channel === 'email' ? 'email' : 'phone'} on record`);
  });
  data.companies.forEach((co, i) => {
    unique(['companies', i, 'code'], `company ${co.code}`);
    policyCheck(['companies', i, 'activation_password'], 'activation', co.activation_password);
    co.operators.forEach((op, j) => {
      unique(['companies', i, 'operators', j, 'code'], `operator ${co.code}/${op.code}`);
      if (op.code === defaultOperatorCode(co.code)) fail(['companies', i, 'operators', j, 'code'], `${op.code} is the default operator, created with the company`);
      policyCheck(['companies', i, 'operators', j, 'password'], 'operator', op.password);
      if (op.dispositive_password) policyCheck(['companies', i, 'operators', j, 'dispositive_password'], 'dispositive', op.dispositive_password);
      if (op.secure_channel && !(op.secure_channel === 'email' ? op.email : op.phone)) fail(['companies', i, 'operators', j, 'secure_channel'], `secure_channel ${op.secure_channel}: no ${op.secure_channel === 'email' ? 'email' : 'phone'} on record`);
      op.accounts?.forEach((n, k) => {
        if (!co.accounts.some((a) => a.number === n)) fail(['companies', i, 'operators', j, 'accounts', k], `${n} is not one of the company's accounts`);
      });
    });
  });
  return data;
}

export function readImportFile(file: string, services: Pick<Services, 'config'>): ImportData {
  let body: string;
  try {
    // Checked before reading: parsing takes some 40 times the file's size in memory.
    const size = statSync(file).size;
    if (size > services.config.importMaxBytes) {
      throw new ImportError(`${file}: ${size} bytes, larger than IMPORT_MAX_BYTES (${services.config.importMaxBytes}): split it into several files`);
    }
    body = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseImport(body, file, services);
}

export interface ImportSummary { clients: number; citizens: number; companies: number; operators: number; passwordsSet: number }

export async function applyImport(data: ImportData, s: Services, provider: Provider): Promise<ImportSummary> {
  const summary: ImportSummary = { clients: 0, citizens: 0, companies: 0, operators: 0, passwordsSet: 0 };
  const initial = async (accountId: string, kind: PasswordKind, password: string, mustChange: boolean) => {
    // Read first to skip the hash when there is one; the script decides (processes starting together).
    if (await s.passwords.get(accountId, kind)) return;
    if (await s.passwords.setInitial(accountId, kind, password, { mustChange })) summary.passwordsSet += 1;
  };

  for (const c of data.clients) {
    const metadata = { ...c, token_endpoint_auth_method: c.client_secret ? c.token_endpoint_auth_method : (c.token_endpoint_auth_method ?? 'none') };
    // Validated by oidc-provider itself, so a bad client is refused here and not at its first login.
    await (provider.Client as unknown as { validate(m: unknown): Promise<void> }).validate(metadata).catch((err: Error & { error_description?: string }) => {
      throw new ImportError(`client ${c.client_id}: ${err.error_description ?? err.message}`);
    });
    await saveClient(provider, metadata);
    summary.clients += 1;
  }
  for (const c of data.citizens) {
    const id = citizenId(c.fiscal_code);
    await s.accounts.upsert({
      id, type: 'citizen', fiscalCode: c.fiscal_code, memberCode: c.member_code,
      givenName: c.given_name, familyName: c.family_name, email: c.email, phone: c.phone, roles: c.roles,
    });
    await initial(id, 'personal', c.password, c.must_change);
    const contact = c.secure_channel === 'email' ? c.email : c.phone;
    if (c.secure_channel && contact && !(await s.secureChannels.get(id))) {
      await s.secureChannels.set(id, { channel: c.secure_channel, to: contact, registeredAt: s.clock.now() });
    }
    summary.citizens += 1;
  }
  for (const co of data.companies) {
    const adminAccount = adminId(co.code);
    await s.redis.hset(keys.company(co.code), { code: co.code, name: co.name });
    await s.redis.sadd(keys.companies, co.code);
    // Accounts the company does not have yet are added; the functions of those it has stay as its
    // administrator set them (a re-import does not undo them).
    await new Companies(s).updateAccounts(co.code, (have) => [...have, ...co.accounts.filter((a) => !have.some((h) => h.number === a.number))]);
    await s.accounts.upsert({ id: adminAccount, type: 'administrator', companyCode: co.code, companyName: co.name });
    // The administrator password is issued by the branch, so it is expired at first use.
    await initial(adminAccount, 'administrator', co.admin_password, true);
    await initial(adminAccount, 'activation', co.activation_password, false);
    const defaultOperator = { code: defaultOperatorCode(co.code), password: co.activation_password, dispositive_password: co.activation_password, must_change: true };
    for (const op of [defaultOperator, ...co.operators]) {
      const id = operatorId(co.code, op.code);
      await s.accounts.upsert({
        id, type: 'operator', companyCode: co.code, companyName: co.name, operatorCode: op.code,
        givenName: 'given_name' in op ? op.given_name : undefined, familyName: 'family_name' in op ? op.family_name : undefined,
        email: 'email' in op ? op.email : undefined, phone: 'phone' in op ? op.phone : undefined,
      });
      const contact = 'secure_channel' in op && op.secure_channel ? { channel: op.secure_channel, to: op.secure_channel === 'email' ? op.email : op.phone } : undefined;
      if (contact?.to && !(await s.secureChannels.get(id))) await s.secureChannels.set(id, { channel: contact.channel, to: contact.to, registeredAt: s.clock.now() });
      await initial(id, 'operator', op.password, op.must_change);
      if (op.dispositive_password) await initial(id, 'dispositive', op.dispositive_password, op.must_change);
      await s.redis.sadd(keys.companyOperators(co.code), op.code);
      await new Companies(s).initialGrants(id, { accounts: 'accounts' in op ? op.accounts ?? [] : [], functions: 'functions' in op ? op.functions ?? [] : [] });
      summary.operators += 1;
    }
    summary.companies += 1;
  }
  await s.audit.record({ event: 'import', outcome: 'success', actor: 'provisioning', reason: `${summary.clients} clients, ${summary.citizens} citizens, ${summary.companies} companies, ${summary.operators} operators` });
  return summary;
}
