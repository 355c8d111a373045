// `npm run idp -- <command>`: administration against the deployment's Redis (REDIS_URL).
// Commands: the core's (src/cli/commands/index.ts) and the installed methods' (their modules).
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { openStore, StoreUnavailable, type Store } from '../store/redis.ts';
import { ImportError } from '../provisioning/import.ts';
import { CommandError, UsageError, type Command } from './command.ts';
import { coreCommands } from './commands/index.ts';
import type { MethodModule } from '../methods/method.ts';
import { MethodError } from '../methods/install.ts';
import { methods as installedMethods } from '../../interactions/index.ts';
import type { Idp } from '../app.ts';

export { UsageError };

/** The commands by name, sorted; a name claimed twice (by the core or a method) is a MethodError. */
export async function loadCommands(modules: readonly MethodModule[] = installedMethods): Promise<Map<string, Command>> {
  const all = new Map<string, Command>();
  const from = [{ by: 'the core', commands: coreCommands }, ...modules.map((m) => ({ by: `method ${m.id}`, commands: m.commands ?? [] }))];
  for (const { by, commands } of from) {
    for (const c of commands) {
      if (all.has(c.name)) throw new MethodError(`${by}: command ${c.name} is already taken`);
      all.set(c.name, c);
    }
  }
  return new Map([...all.values()].sort((a, b) => a.name.localeCompare(b.name)).map((c) => [c.name, c]));
}

export async function usage(): Promise<string> {
  const lines = [...(await loadCommands()).values()].flatMap((c) => c.usage.map((u) => `  ${u}`));
  return `usage: npm run idp -- <command>\n${lines.join('\n')}\nUSER: a fiscal code, or an 8-digit company code (its administrator) followed by an operator code.`;
}

/** Runs one command; returns the text to print. Throws UsageError for bad arguments. */
export async function runCli(argv: string[], config: Config, store: Store): Promise<string> {
  const commands = await loadCommands();
  const name = argv[0];
  const command = name ? commands.get(name) : undefined;
  if (!command) throw new UsageError(name ? `unknown command: ${name}` : 'no command');
  const { values, positionals } = parseArgs({
    args: argv.slice(1), allowPositionals: true,
    options: { json: { type: 'boolean' }, ...command.options },
  });
  let idp: Promise<Idp> | undefined;
  const ctx = {
    config,
    // Only the commands that need the whole IdP pay for building it.
    idp: () => (idp ??= import('../app.ts').then(({ createIdp }) => createIdp(config, { store }))),
  };
  try {
    return await command.run(positionals, values as Record<string, string | boolean | string[] | undefined>, ctx);
  } finally {
    // The IdP a command built works on the caller's store, which stays open: only what the IdP put on it
    // goes (its Redis metrics), and what it has pending is written (abuse counts to give back).
    if (idp) await (await idp.catch(() => undefined))?.close();
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, { logLevel: process.env.LOG_LEVEL ?? 'warn', demo: false });
  const store = await openStore(config);
  if (store.embedded) {
    await store.close();
    throw new ConfigError([
      'REDIS_URL is unset: the CLI works on the Redis the servers use, and a server started without REDIS_URL',
      'keeps its data in an embedded store inside its own process, out of the CLI\'s reach. Run both on one Redis:',
      '  redis-server --port 6379 --save \'\' &',
      '  REDIS_URL=redis://127.0.0.1:6379 npm start',
      '  REDIS_URL=redis://127.0.0.1:6379 npm run idp -- <command>',
    ].join('\n'));
  }
  try {
    console.log(await runCli(process.argv.slice(2), config, store));
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch(async (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n${await usage()}`);
    else if (err instanceof ConfigError || err instanceof StoreUnavailable || err instanceof ImportError || err instanceof CommandError || err instanceof MethodError) console.error(err.message);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`${(err as Error).message}\n${await usage()}`);
    else console.error(err);
    process.exit(2);
  });
}
