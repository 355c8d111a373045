// How a setting is read from the environment, and a method's own settings (config `methods.<id>`).
// A leaf module: src/config.ts and the method folders both use it.
import type { z } from 'zod';

export type Parser = (raw: string) => unknown;
export const int: Parser = (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : raw);
export const bool: Parser = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return raw;
};
export const str: Parser = (raw) => raw;
export const json: Parser = (raw) => {
  try { return JSON.parse(raw); } catch { return raw; }
};
export const list: Parser = (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean);

/** One environment variable: where it goes in the configuration, how to read it, its README line. */
export interface Setting {
  env: string;
  path: string;
  parse: Parser;
  doc: string;
}

/** The configuration as a method sees it: its own part, already validated at start. */
export interface MethodsConfig {
  methods: Record<string, unknown>;
}

export interface MethodSettings<C> {
  /** The method's id: its settings live at config `methods.<id>`. */
  id: string;
  schema: z.ZodType<C>;
  defaults: C;
  /** Environment variables, with paths inside `methods.<id>`. */
  env: Setting[];
  /** This method's settings in a loaded configuration. */
  of(config: MethodsConfig): C;
}

export function defineSettings<C>(def: Omit<MethodSettings<C>, 'of'>): MethodSettings<C> {
  // Parsed once per loaded configuration (loadConfig validated it already: this cannot fail).
  const cache = new WeakMap<object, C>();
  return {
    ...def,
    of(config) {
      let value = cache.get(config.methods);
      if (value === undefined) {
        value = def.schema.parse(config.methods[def.id]);
        cache.set(config.methods, value);
      }
      return value;
    },
  };
}
