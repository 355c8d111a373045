// A Lua script that a method folder brings: registered on the store's client at start, run with its
// keys and arguments, its reply checked by the method's own reader (no unchecked casts). Keys that
// one script touches must share a hash tag (Redis Cluster): checked at every call.
import type { Redis } from 'ioredis';

export interface Script<Args extends (string | number)[], Reply> {
  name: string;
  numberOfKeys: number;
  lua: string;
  run(redis: Redis, keys: string[], ...args: Args): Promise<Reply>;
}

/** The hash tag of a key (the part Redis Cluster hashes), or the whole key when it has none. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

export class ScriptError extends Error {}

export function defineScript<Args extends (string | number)[], Reply>(def: {
  name: string;
  numberOfKeys: number;
  lua: string;
  /** Reads the raw reply; throws when it is not what the script returns. */
  reply: (raw: unknown) => Reply;
}): Script<Args, Reply> {
  return {
    name: def.name,
    numberOfKeys: def.numberOfKeys,
    lua: def.lua,
    async run(redis, keys, ...args) {
      if (keys.length !== def.numberOfKeys) throw new ScriptError(`${def.name}: ${def.numberOfKeys} keys expected, got ${keys.length}`);
      if (keys.some((k) => hashTag(k) !== hashTag(keys[0]!))) throw new ScriptError(`${def.name}: keys in different hash slots (${keys.join(', ')})`);
      const command: unknown = Reflect.get(redis, def.name);
      if (typeof command !== 'function') throw new ScriptError(`${def.name}: script not registered on this client`);
      return def.reply(await Reflect.apply(command, redis, [...keys, ...args]));
    },
  };
}

/** Registers scripts on a client (idempotent). */
export function registerScripts(redis: Redis, scripts: Iterable<Pick<Script<never, unknown>, 'name' | 'numberOfKeys' | 'lua'>>): void {
  for (const s of scripts) redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}

/** Reply readers for the usual shapes. */
export const replies = {
  tuple(raw: unknown, length: number): unknown[] {
    if (!Array.isArray(raw) || raw.length < length) throw new ScriptError(`unexpected script reply: ${JSON.stringify(raw)}`);
    return raw;
  },
  string(raw: unknown): string {
    if (typeof raw !== 'string') throw new ScriptError(`unexpected script reply: ${JSON.stringify(raw)}`);
    return raw;
  },
  /** {status, n}: the shape of the lockout scripts' replies. */
  statusAndNumber(raw: unknown): [string, number] {
    const [status, n] = replies.tuple(raw, 2);
    return [replies.string(status), replies.number(n)];
  },
  number(raw: unknown): number {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ScriptError(`unexpected script reply: ${JSON.stringify(raw)}`);
    return n;
  },
};
