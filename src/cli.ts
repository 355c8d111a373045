// `npm run idp -- <command>`: administration against the deployment's Redis (REDIS_URL).
//   import FILE.json                      load clients, citizens, companies, operators (idempotent)
//   unlock USER [OPERATOR] [--kind KIND]  clear a credential's lockout
//   audit [--count N] [--event E] [--subject S]   show recent security events
// USER is a fiscal code, or a company code (its administrator), or a company code and an operator code.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openStore, StoreUnavailable, type Store } from './store/redis.ts';
import { accountIdFor, loginPasswordKind, type PasswordKind } from './accounts/accounts.ts';
import { isValidFiscalCode, normaliseFiscalCode } from './accounts/fiscal-code.ts';
import { ImportError } from './provisioning/import.ts';

const KINDS: PasswordKind[] = ['activation', 'administrator', 'operator', 'dispositive', 'personal'];

export class UsageError extends Error {}

const USAGE = `usage: npm run idp -- <command>
  import FILE.json                        load clients, citizens, companies and operators
  unlock USER [OPERATOR] [--kind KIND]    unlock a password (KIND: ${KINDS.join(', ')})
  audit [--count N] [--event E] [--subject ID] [--json]
USER: a fiscal code, or an 8-digit company code (its administrator) followed by an operator code.`;

function accountIdFromArgs(user: string | undefined, operator: string | undefined): string {
  if (!user) throw new UsageError('unlock needs a user');
  if (/^\d{8}$/.test(user)) {
    if (operator !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(operator)) throw new UsageError('operator code: 1-20 letters or digits');
    return accountIdFor({ type: 'company', companyCode: user, operatorCode: operator?.toUpperCase() });
  }
  const fiscalCode = normaliseFiscalCode(user);
  if (!isValidFiscalCode(fiscalCode)) throw new UsageError(`${user} is neither a fiscal code nor an 8-digit company code`);
  if (operator !== undefined) throw new UsageError('an operator code goes with a company code');
  return accountIdFor({ type: 'citizen', fiscalCode });
}

/** Runs one command; returns the text to print. Throws UsageError for bad arguments. */
export async function runCli(argv: string[], config: Config, store: Store): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string' }, count: { type: 'string' }, event: { type: 'string' },
      subject: { type: 'string' }, json: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  // Loaded here: only the commands that need the whole IdP pay for starting it.
  const { createIdp } = await import('./app.ts');
  switch (command) {
    case 'import': {
      if (rest.length !== 1) throw new UsageError('import needs one file');
      const { applyImport, readImportFile } = await import('./provisioning/import.ts');
      const idp = await createIdp(config, { store });
      const summary = await applyImport(readImportFile(rest[0]!, idp.services), idp.services, idp.provider);
      return values.json ? JSON.stringify(summary) : `imported ${rest[0]}: ${summary.clients} clients, ${summary.citizens} citizens, ${summary.companies} companies, ${summary.operators} operators; ${summary.passwordsSet} initial passwords set`;
    }
    case 'unlock': {
      const id = accountIdFromArgs(rest[0], rest[1]);
      const idp = await createIdp(config, { store });
      const account = await idp.services.accounts.findById(id);
      if (!account) throw new UsageError(`no such user: ${rest.join(' ')}`);
      const kind = (values.kind ?? loginPasswordKind(account.type)) as PasswordKind;
      if (!KINDS.includes(kind)) throw new UsageError(`--kind: one of ${KINDS.join(', ')}`);
      const done = await idp.services.passwords.unlock(id, kind);
      if (!done) throw new UsageError(`${rest.join(' ')} has no ${kind} password`);
      await idp.services.audit.record({ event: 'credential.unlock', outcome: 'success', actor: 'cli', subject: id, reason: kind });
      return values.json ? JSON.stringify({ unlocked: id, kind }) : `unlocked the ${kind} password of ${rest.join(' ')}`;
    }
    case 'audit': {
      const idp = await createIdp(config, { store });
      const count = Number(values.count ?? 50);
      if (!Number.isInteger(count) || count < 1 || count > 10000) throw new UsageError('--count: 1 to 10000');
      const entries = await idp.services.audit.recent(count, { event: values.event, subject: values.subject });
      if (values.json) return entries.map((e) => JSON.stringify(e)).join('\n');
      return entries.map((e) => [e.time, e.event, e.outcome, e.reason, e.subject, e.client, e.ip].map((v) => v ?? '-').join('  ')).join('\n') || '(no events)';
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command');
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, { logLevel: process.env.LOG_LEVEL ?? 'warn', demo: false });
  const store = await openStore(config);
  if (store.embedded) {
    await store.close();
    throw new ConfigError('REDIS_URL is unset: the CLI works on the deployment\'s Redis; set REDIS_URL');
  }
  try {
    console.log(await runCli(process.argv.slice(2), config, store));
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`);
    else if (err instanceof ConfigError || err instanceof StoreUnavailable || err instanceof ImportError) console.error(err.message);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${(err as Error).message}\n${USAGE}`);
    else console.error(err);
    process.exit(2);
  });
}
