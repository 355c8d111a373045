import { defineCommand, UsageError } from '../command.ts';

export default defineCommand({
  name: 'audit',
  usage: ['audit [--count N] [--event E] [--subject ID] [--json]   recent security events, oldest first'],
  options: { count: { type: 'string' }, event: { type: 'string' }, subject: { type: 'string' } },
  async run(_args, values, ctx) {
    const count = Number(values.count ?? 50);
    if (!Number.isInteger(count) || count < 1 || count > 10000) throw new UsageError('--count: 1 to 10000');
    const idp = await ctx.idp();
    const entries = await idp.services.audit.recent(count, { event: values.event as string | undefined, subject: values.subject as string | undefined });
    if (values.json) return entries.map((e) => JSON.stringify(e)).join('\n');
    return entries.map((e) => [e.time, e.event, e.outcome, e.reason, e.actor, e.subject, e.client, e.ip].map((v) => v ?? '-').join('  ')).join('\n') || '(no events)';
  },
});
