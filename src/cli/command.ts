// The administration commands' contract: each command is a module default-exporting a Command,
// in src/cli/commands/ or in a method folder's cli.ts. The dispatcher never names one.
import type { Config } from '../config.ts';
import type { Idp } from '../app.ts';

export class UsageError extends Error {}
/** A command that could not do what was asked (printed as it is, without the usage). */
export class CommandError extends Error {}

export interface CommandContext {
  config: Config;
  /** The IdP wired to the deployment's Redis (not listening). */
  idp: () => Promise<Idp>;
}

export interface Command {
  name: string;
  /** One usage line per form, e.g. "unlock USER [OPERATOR] [--kind KIND]". */
  usage: string[];
  /** Options for node:util parseArgs; --json is always there. */
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(positionals: string[], values: Record<string, string | boolean | string[] | undefined>, ctx: CommandContext): Promise<string>;
}

export function defineCommand(c: Command): Command {
  return c;
}
