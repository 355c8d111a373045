// `npm run idp -- requests ...`: the back office's review from the command line, with the same
// rules and audit events as the review pages.
import { writeFileSync } from 'node:fs';
import { defineCommand, UsageError } from '../../src/cli/command.ts';
import { REQUEST_ID, type BackofficeRequest } from '../../src/requests/requests.ts';
import { approveRequest, rejectRequest } from '../../src/requests/review.ts';

const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : '-');

function line(r: BackofficeRequest): string {
  return [r.id, r.kind, r.accountId, r.status, iso(r.createdAt), r.kind === 'contact-change' ? `${r.channel}:${r.value}` : '-', r.decidedBy ?? '-'].join('  ');
}

function idArg(args: string[]): string {
  const id = args[1];
  if (!id || !REQUEST_ID.test(id)) throw new UsageError('a request id is needed (16 hex digits, see "requests list")');
  return id;
}

export const requestsCommand = defineCommand({
  name: 'requests',
  usage: [
    'requests list [--all] [--json]              back-office requests waiting (--all: also the recently decided)',
    'requests show ID [--document FILE]          one request; --document writes its identity document to FILE',
    'requests approve ID [--by NAME]             approve a contact change or channel reset (the member is notified)',
    'requests reject ID [--note TEXT] [--by NAME]   reject it, with a note for the member',
    'requests purge                              delete documents past DOCUMENT_RETENTION_DAYS (run daily)',
  ],
  options: { all: { type: 'boolean' }, document: { type: 'string' }, by: { type: 'string' }, note: { type: 'string' } },
  async run(args, values, ctx) {
    const sub = args[0];
    const idp = await ctx.idp();
    const s = idp.services;
    const actor = `cli${typeof values.by === 'string' ? `:${values.by.slice(0, 50)}` : ''}`;
    switch (sub) {
      case 'list': {
        const rows = [...(await s.requests.list('pending')), ...(values.all ? await s.requests.list('decided', 100) : [])];
        if (values.json) return rows.map((r) => JSON.stringify({ ...r, document: r.document ? { type: r.document.type, size: r.document.size } : undefined })).join('\n');
        return rows.map(line).join('\n') || '(no requests waiting)';
      }
      case 'show': {
        const r = await s.requests.get(idArg(args));
        if (!r) throw new UsageError(`no such request: ${args[1]}`);
        if (typeof values.document === 'string') {
          const data = await s.requests.readDocument(r);
          if (!data) throw new UsageError('the document of this request has been deleted (retention period over)');
          writeFileSync(values.document, data, { mode: 0o600 });
          await s.audit.record({ event: 'request.document', outcome: 'info', actor, subject: r.accountId, reason: r.id });
        }
        if (values.json) return JSON.stringify({ ...r, document: r.document ? { type: r.document.type, size: r.document.size } : undefined });
        return [
          `request ${r.id}: ${r.kind} of ${r.accountId}, ${r.status}`,
          `received ${iso(r.createdAt)}`,
          ...(r.kind === 'contact-change' ? [`new ${r.channel === 'sms' ? 'mobile number' : 'email'}: ${r.value}`] : []),
          r.document ? `document: ${r.document.type}, ${r.document.size} bytes${typeof values.document === 'string' ? ` (written to ${values.document})` : ''}` : 'document: deleted',
          ...(r.decidedAt ? [`decided ${iso(r.decidedAt)} by ${r.decidedBy}${r.note ? `: ${r.note}` : ''}`] : []),
        ].join('\n');
      }
      case 'approve':
      case 'reject': {
        const id = idArg(args);
        const outcome = sub === 'approve' ? await approveRequest(s, id, actor) : await rejectRequest(s, id, actor, typeof values.note === 'string' ? values.note : '');
        if (!outcome.ok) throw new UsageError(outcome.reason === 'missing' ? `no such request: ${id}` : outcome.reason === 'no_account' ? 'the member no longer exists' : `request ${id} is already ${outcome.reason}`);
        if (values.json) return JSON.stringify({ id, status: outcome.request.status, notified: outcome.notified });
        return `request ${id} ${outcome.request.status}; member ${outcome.notified ? 'notified' : 'NOT notified (delivery failed or no contact)'}`;
      }
      case 'purge': {
        const purged = await s.requests.purgeDocuments(s.config.documents.retentionDays);
        if (purged) await s.audit.record({ event: 'request.purge', outcome: 'info', actor, reason: `${purged} documents past retention` });
        return values.json ? JSON.stringify({ purged }) : `${purged} documents deleted`;
      }
      default:
        throw new UsageError(sub ? `unknown requests command: ${sub}` : 'requests needs list, show, approve, reject or purge');
    }
  },
});
