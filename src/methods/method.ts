// A login method is one folder under interactions/ whose index.ts default-exports one of these, and
// one line in interactions/index.ts. It declares everything the method brings; the core installs it
// and never names it (compare Ory Kratos' strategies, registered in one place).
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccountPlugin } from '../self-service/plugin.ts';
import type { Command } from '../cli/command.ts';
import type { Step } from '../flow/step.ts';
import type { MethodSettings } from '../settings.ts';
import type { Script } from '../store/script.ts';

/** One row of the Redis key table (README), e.g. acct:{ID}:card. */
export interface KeyDoc {
  key: string;
  type: 'string' | 'hash' | 'set' | 'zset' | 'list' | 'stream';
  ttl: string;
  what: string;
}

/** An oidc-provider prompt beyond login and consent, answered by a step of kind 'prompt'. */
export interface PromptDef {
  name: string;
  description: string;
  /** True when this authorization request needs the prompt. */
  check(ctx: KoaContextWithOIDC): boolean | Promise<boolean>;
}

export type Dict = Record<string, string>;

export interface MethodModule {
  id: string;
  /** Login steps, required actions and prompt steps. */
  steps?: Step[];
  /** Self-service and administration pages. */
  account?: AccountPlugin;
  /** `npm run idp -- <command>` commands. */
  commands?: Command[];
  /** Settings at config `methods.<id>`, with their environment variables. */
  settings?: MethodSettings<unknown>;
  /** The method's Redis keys, for the one key table. */
  keys?: KeyDoc[];
  /** Lua scripts, registered on the store's client at start. */
  scripts?: Pick<Script<never, unknown>, 'name' | 'numberOfKeys' | 'lua'>[];
  /** Strings in both languages (the same keys in each: checked at start). */
  strings?: { it: Dict; en: Dict };
  prompts?: PromptDef[];
}

export function defineMethod(m: MethodModule): MethodModule {
  return m;
}
