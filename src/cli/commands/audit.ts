// `npm run idp -- audit`: the security events, filtered by field, outcome and time; --follow keeps
// printing new ones as they are appended (a tail), until interrupted or --limit new events.
import { defineCommand, UsageError } from '../command.ts';
import type { AuditEntry, AuditEvent } from '../../audit.ts';

const RELATIVE = /^(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO date or date-time, or a duration back from now: 30m, 12h, 7d. */
export function parseTime(raw: string, now: number, option: string): number {
  const rel = RELATIVE.exec(raw);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  const t = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw new UsageError(`--${option}: an ISO date or time (2025-01-31, 2025-01-31T08:00:00Z) or a duration back from now (30m, 12h, 7d)`);
  return t;
}

function line(e: AuditEntry): string {
  return [e.time, e.event, e.outcome, e.reason, e.actor, e.subject, e.client, e.ip].map((v) => v ?? '-').join('  ');
}

const FILTERS = ['event', 'outcome', 'actor', 'subject', 'client', 'ip'] as const;

export default defineCommand({
  name: 'audit',
  usage: [
    'audit [--count N] [--since T] [--until T] [--event E] [--outcome success|failure|info] [--actor ID] [--subject ID] [--client ID] [--ip IP] [--json]',
    '                                   security events, oldest first (T: 2025-01-31, 2025-01-31T08:00Z, or 30m, 12h, 7d ago)',
    'audit --follow [--limit N] [filters]   print new events as they come (Ctrl-C to stop)',
  ],
  options: {
    count: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, follow: { type: 'boolean' }, limit: { type: 'string' },
    event: { type: 'string' }, outcome: { type: 'string' }, actor: { type: 'string' }, subject: { type: 'string' }, client: { type: 'string' }, ip: { type: 'string' },
  },
  async run(_args, values, ctx) {
    const count = Number(values.count ?? 50);
    if (!Number.isInteger(count) || count < 1 || count > 10000) throw new UsageError('--count: 1 to 10000');
    if (values.outcome !== undefined && !['success', 'failure', 'info'].includes(String(values.outcome))) throw new UsageError('--outcome: success, failure or info');
    const filter: Partial<AuditEvent> = {};
    for (const f of FILTERS) if (typeof values[f] === 'string') (filter as Record<string, string>)[f] = values[f] as string;
    const idp = await ctx.idp();
    const now = idp.services.clock.now();
    const since = typeof values.since === 'string' ? parseTime(values.since, now, 'since') : undefined;
    const until = typeof values.until === 'string' ? parseTime(values.until, now, 'until') : undefined;
    const format = (e: AuditEntry) => (values.json ? JSON.stringify(e) : line(e));

    if (values.follow) {
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit: a positive number');
      let stop = false;
      const onSignal = () => { stop = true; };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const seen = await idp.services.audit.follow(filter, (e) => { process.stdout.write(`${format(e)}\n`); }, { limit, stop: () => stop });
        return values.json ? '' : `(${seen} events)`;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    const entries = await idp.services.audit.query({ count, filter, since, until });
    if (values.json) return entries.map((e) => JSON.stringify(e)).join('\n');
    return entries.map(line).join('\n') || '(no events)';
  },
});
