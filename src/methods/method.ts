// A login method is one folder under interactions/ whose index.ts default-exports one of these, and
// one line in interactions/index.ts. It declares everything the method brings; the core installs it
// and never names it (compare Ory Kratos' strategies, registered in one place).
import type http from 'node:http';
import type net from 'node:net';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AccountPlugin } from '../self-service/plugin.ts';
import type { Command } from '../cli/command.ts';
import type { Step } from '../flow/step.ts';
import type { MethodSettings } from '../settings.ts';
import type { Script } from '../store/script.ts';
import type { Services } from '../services.ts';

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

/** A server beyond the main one that a method needs (e.g. an HTTPS port that asks for a client certificate). */
export interface Listener {
  /** For the logs. */
  name: string;
  /** Starts it around the IdP's request handler; resolves once it listens. */
  start(handler: http.RequestListener): Promise<net.Server>;
}

/** What a method adds to oidc-provider: its configuration (features, client authentication) and middlewares. */
export interface ProviderExtension {
  /** Changes the configuration before the provider is built. */
  configure?(configuration: Configuration, s: Services): void;
  /** Runs before the provider's endpoints and our routes (e.g. to read a client certificate once). */
  middleware?(s: Services): Koa.Middleware;
}

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
  /** Public routes of the method (no session needed), e.g. a CA certificate or an activation page. */
  routes?(router: Router, s: Services): void;
  /** Extra servers, started with the main one (Idp.listen). */
  listeners?(s: Services): Promise<Listener[]>;
  provider?: ProviderExtension;
  /** Work at start, once the services exist (checks that need several settings, keys to load). */
  start?(s: Services): Promise<void>;
}

export function defineMethod(m: MethodModule): MethodModule {
  return m;
}
