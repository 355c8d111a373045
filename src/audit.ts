// Security events, appended to a capped Redis stream. Never pass a secret in here: the fields are
// an allow-list and values are plain identifiers and outcomes.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { keys } from './store/keys.ts';
import { DAY_MS, systemClock, type Clock } from './clock.ts';
import { currentRequestId } from './http/request-context.ts';

export interface AuditEvent {
  event: string;            // e.g. login.password
  outcome: 'success' | 'failure' | 'info';
  reason?: string;          // e.g. wrong, locked, unknown
  actor?: string;           // who acted (account id, 'cli', 'back-office')
  subject?: string;         // whom it concerns (account id or what the user typed)
  client?: string;          // client_id
  ip?: string;
  interaction?: string;     // interaction uid, to follow one login
  request?: string;         // the HTTP request's id (X-Request-Id, in the logs too); set by record()
}

const FIELDS: (keyof AuditEvent)[] = ['event', 'outcome', 'reason', 'actor', 'subject', 'client', 'ip', 'interaction', 'request'];

export type AuditEntry = AuditEvent & { id: string; time: string };

export interface AuditQuery {
  count: number;
  /** Fields that must match exactly. */
  filter?: Partial<AuditEvent>;
  /** Only events at or after / before this time (ms since the epoch). */
  since?: number;
  until?: number;
}

// How far back a query reads at most: bounded, whatever the filter.
const MAX_SCAN = 1_000_000;
const BATCH = 1000;

function entryOf(id: string, fields: string[]): AuditEntry {
  return entriesOf(id, fields)[0]!;
}

/**
 * The events of one stream entry, oldest first: one, or several recorded by one request (recordAll),
 * each starting at its `event` field and sharing the entry's id and time.
 */
function entriesOf(id: string, fields: string[]): AuditEntry[] {
  const out: Record<string, string>[] = [];
  let entry: Record<string, string> = { id };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    if (name === 'event' && entry.event !== undefined) {
      out.push(entry);
      entry = { id, time: entry.time! };
    }
    entry[name] = fields[i + 1]!;
  }
  out.push(entry);
  return out as unknown as AuditEntry[];
}

// Retention runs at most this often per process (it reads the head of the stream).
const TRIM_EVERY_MS = 60_000;

function matches(entry: AuditEntry, filter: Partial<AuditEvent>): boolean {
  return Object.entries(filter).every(([k, v]) => v === undefined || (entry as unknown as Record<string, string>)[k] === v);
}

export class Audit {
  constructor(
    private readonly redis: Redis,
    private readonly maxEntries: number,
    private readonly log?: Logger,
    private readonly opts: { retentionDays?: number; clock?: Clock; onRecord?: (e: AuditEvent) => void } = {},
  ) {}

  private lastTrim = 0;

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  /**
   * Time-based retention (AUDIT_RETENTION_DAYS): drops the events recorded before the cut-off. The
   * events' own time decides (not the stream ids, which follow the Redis server's clock), so the
   * head of the stream is read until the first event to keep, and the older ones are deleted by id
   * (XDEL: one command a batch, harmless if several processes do it at once). Bounded per call.
   */
  async dropExpired(): Promise<number> {
    const days = this.opts.retentionDays ?? 0;
    this.lastTrim = this.clock.now();
    if (!days) return 0;
    const cutoff = this.clock.now() - days * DAY_MS;
    let dropped = 0;
    for (let round = 0; round < 20; round += 1) {
      const head = await this.redis.xrange(keys.audit, '-', '+', 'COUNT', BATCH);
      const keep = head.findIndex(([, fields]) => !(Date.parse(entryOf('', fields).time) < cutoff));
      const old = head.slice(0, keep >= 0 ? keep : head.length).map(([id]) => id);
      if (old.length) dropped += await this.redis.xdel(keys.audit, ...old);
      if (keep >= 0 || head.length < BATCH) break;
    }
    return dropped;
  }

  private trimming: Promise<void> = Promise.resolve();

  /** Resolves when the retention run started by the last event has finished (for tests and shutdown). */
  settled(): Promise<void> {
    return this.trimming;
  }

  record(event: AuditEvent): Promise<void> {
    return this.recordAll([event]);
  }

  /** Several events of one request, in order, in one stream entry (one XADD); read back apart. */
  async recordAll(events: AuditEvent[]): Promise<void> {
    if (!events.length) return;
    const args: string[] = ['time', new Date(this.clock.now()).toISOString()];
    const recorded = events.map((event) => {
      const e = { ...event, request: event.request ?? currentRequestId() };
      this.opts.onRecord?.(e);
      for (const f of FIELDS) {
        const v = e[f];
        if (v !== undefined && v !== '') args.push(f, String(v).slice(0, 200));
      }
      return e;
    });
    await this.redis.xadd(keys.audit, 'MAXLEN', '~', this.maxEntries, '*', ...args);
    if (this.opts.retentionDays && this.clock.now() - this.lastTrim >= TRIM_EVERY_MS) {
      // Housekeeping, not awaited: no request waits for it, and the event is recorded whatever
      // happens here (the embedded store lacks XDEL).
      this.lastTrim = this.clock.now();
      this.trimming = this.dropExpired().then(() => undefined, (err: unknown) => { this.log?.warn({ err }, 'audit retention: could not drop old events'); });
    }
    for (const e of recorded) this.log?.info({ audit: Object.fromEntries(FIELDS.filter((f) => e[f] !== undefined).map((f) => [f, e[f]])) }, 'audit');
  }

  /** Newest last; `count` most recent entries, optionally only those matching every given field. */
  recent(count: number, filter: Partial<AuditEvent> = {}): Promise<AuditEntry[]> {
    return this.query({ count, filter });
  }

  /** The `count` newest events matching the query, oldest first; reads back at most MAX_SCAN events. */
  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let end = '+';
    for (let scanned = 0; scanned < MAX_SCAN && out.length < q.count;) {
      const raw = await this.redis.xrevrange(keys.audit, end, '-', 'COUNT', BATCH);
      if (!raw.length) break;
      scanned += raw.length;
      for (const [id, fields] of raw) {
        const entries = entriesOf(id, fields);
        const t = Date.parse(entries[0]!.time);
        if (q.since !== undefined && t < q.since) return out.reverse();
        if (q.until !== undefined && t >= q.until) continue;
        for (const entry of entries.reverse()) {
          if (matches(entry, q.filter ?? {})) out.push(entry);
          if (out.length >= q.count) break;
        }
        if (out.length >= q.count) break;
      }
      end = `(${raw[raw.length - 1]![0]}`;
    }
    return out.reverse();
  }

  /** The id of the newest event ('0-0' for none). */
  async lastId(): Promise<string> {
    return (await this.redis.xrevrange(keys.audit, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  }

  /**
   * New events as they are appended (a blocking read on its own connection), until `stop` says so or
   * `limit` events have been passed on.
   */
  async follow(filter: Partial<AuditEvent>, onEntry: (e: AuditEntry) => void, opts: { limit?: number; stop?: () => boolean; blockMs?: number; after?: string } = {}): Promise<number> {
    // A blocking read needs a connection of its own.
    const conn = this.redis.duplicate();
    conn.on('error', () => { /* the read below fails and says why */ });
    if (conn.status === 'wait') await conn.connect();
    // Start after the newest event now (not '$' on each read, which would skip what arrives between reads).
    let last = opts.after ?? (await this.lastId());
    let seen = 0;
    try {
      while (!opts.stop?.() && (opts.limit === undefined || seen < opts.limit)) {
        const res = await conn.xread('COUNT', 100, 'BLOCK', opts.blockMs ?? 1000, 'STREAMS', keys.audit, last);
        for (const [, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            for (const entry of entriesOf(id, fields)) {
              if (!matches(entry, filter)) continue;
              onEntry(entry);
              seen += 1;
              if (opts.limit !== undefined && seen >= opts.limit) return seen;
            }
          }
        }
      }
      return seen;
    } finally {
      conn.disconnect();
    }
  }
}
