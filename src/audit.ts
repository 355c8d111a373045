// Security events, appended to a capped Redis stream. Never pass a secret in here: the fields are
// an allow-list and values are plain identifiers and outcomes.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { keys } from './store/keys.ts';

export interface AuditEvent {
  event: string;            // e.g. login.password
  outcome: 'success' | 'failure' | 'info';
  reason?: string;          // e.g. wrong, locked, unknown
  actor?: string;           // who acted (account id, 'cli', 'back-office')
  subject?: string;         // whom it concerns (account id or what the user typed)
  client?: string;          // client_id
  ip?: string;
  interaction?: string;     // interaction uid, to follow one login
}

const FIELDS: (keyof AuditEvent)[] = ['event', 'outcome', 'reason', 'actor', 'subject', 'client', 'ip', 'interaction'];

export class Audit {
  constructor(private readonly redis: Redis, private readonly maxEntries: number, private readonly log?: Logger) {}

  async record(e: AuditEvent): Promise<void> {
    const args: string[] = ['time', new Date().toISOString()];
    for (const f of FIELDS) {
      const v = e[f];
      if (v !== undefined && v !== '') args.push(f, String(v).slice(0, 200));
    }
    await this.redis.xadd(keys.audit, 'MAXLEN', '~', this.maxEntries, '*', ...args);
    this.log?.info({ audit: Object.fromEntries(FIELDS.filter((f) => e[f] !== undefined).map((f) => [f, e[f]])) }, 'audit');
  }

  /** Newest last; `count` most recent entries, optionally only those matching every given field. */
  async recent(count: number, filter: Partial<AuditEvent> = {}): Promise<(AuditEvent & { id: string; time: string })[]> {
    const raw = await this.redis.xrevrange(keys.audit, '+', '-', 'COUNT', Math.max(count * 20, 1000));
    const out: (AuditEvent & { id: string; time: string })[] = [];
    for (const [id, fields] of raw) {
      const entry: Record<string, string> = { id };
      for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
      if (Object.entries(filter).every(([k, v]) => v === undefined || entry[k] === v)) {
        out.push(entry as unknown as AuditEvent & { id: string; time: string });
        if (out.length >= count) break;
      }
    }
    return out.reverse();
  }
}
