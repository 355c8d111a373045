// What the servers ask of Redis: commands (INFO commandstats, which counts the commands a Lua script
// runs as well as the script call itself) and the memory their long-lived keys hold.
import type { Redis } from 'ioredis';

/** The bench's own commands, left out of every count. */
const OWN = new Set(['info', 'scan', 'memory', 'ping', 'client|setinfo', 'client', 'select', 'config|get']);

export type Calls = Map<string, number>;

/** Calls per Redis command so far (server-wide). */
export async function commandCalls(redis: Redis): Promise<Calls> {
  const out: Calls = new Map();
  const info = await redis.info('commandstats');
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** The commands run between two readings (the bench's own left out), by name. */
export function callsBetween(a: Calls, b: Calls): Calls {
  const out: Calls = new Map();
  for (const [k, v] of b) if (!OWN.has(k) && v > (a.get(k) ?? 0)) out.set(k, v - (a.get(k) ?? 0));
  return out;
}

/** Adds the counts of `more` to `into`. */
export function addCalls(into: Calls, more: Calls): void {
  for (const [k, v] of more) into.set(k, (into.get(k) ?? 0) + v);
}

/** Commands per operation: the total and the commands by name, most first. */
export function callsPer(calls: Calls, ops: number): { total: number; byName: [string, number][] } {
  const d = [...calls].map(([k, v]) => [k, v / ops] as [string, number]).sort((x, y) => y[1] - x[1]);
  return { total: d.reduce((s, [, v]) => s + v, 0), byName: d };
}

/** A key's kind among those a session keeps for its whole life, or undefined. */
export type Classify = (key: string) => string | undefined;

/** The keys under `prefix` that `classify` recognises (full names), by kind. */
export async function classifiedKeys(redis: Redis, prefix: string, classify: Classify): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  let rounds = 0;
  do {
    // The admin connection has no key prefix: the pattern and the keys are the full names.
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of found) {
      const kind = classify(k.slice(prefix.length));
      if (kind) out.set(k, kind);
    }
    rounds += 1;
  } while (cursor !== '0' && rounds < 100_000);
  return out;
}

/**
 * Bytes (MEMORY USAGE, every element counted) of the keys `classify` recognises under `prefix` that
 * are not in `before` (those a batch of fresh logins made), per session (keys of kind 'session').
 */
export async function bytesPerSession(redis: Redis, prefix: string, classify: Classify, before: Map<string, string>): Promise<{ sessions: number; perSession: number; byKind: Map<string, number> }> {
  const fresh = [...await classifiedKeys(redis, prefix, classify)].filter(([k]) => !before.has(k));
  const sizes = await Promise.all(fresh.map(([k]) => redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0') as Promise<number | null>));
  const byKind = new Map<string, number>();
  let sessions = 0;
  let bytes = 0;
  fresh.forEach(([, kind], i) => {
    byKind.set(kind, (byKind.get(kind) ?? 0) + (sizes[i] ?? 0));
    bytes += sizes[i] ?? 0;
    if (kind === 'session' && sizes[i] !== null) sessions += 1;
  });
  return { sessions, perSession: sessions ? bytes / sessions : NaN, byKind };
}
