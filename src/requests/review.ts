// The back office's decisions, the same from the review pages and from the CLI: each is decided
// once, audited with who decided, and the member is told. Approving a contact change puts the new
// contact on record (and drops a secure channel registered on the old one of that kind, so the
// member registers again); approving a channel reset drops the channel and emails a first-access
// password.
import type { Services } from '../services.ts';
import { firstAccessPassword } from '../accounts/first-access-password.ts';
import { DeliveryError, type Channel } from '../delivery/message.ts';
import type { BackofficeRequest } from './requests.ts';

export type ReviewOutcome =
  | { ok: true; request: BackofficeRequest; notified: boolean }
  | { ok: false; reason: 'missing' | 'approved' | 'rejected' | 'no_account' };

async function notify(s: Services, r: BackofficeRequest, channel: Channel, to: string, kind: string, params: Record<string, string> = {}, code?: string): Promise<boolean> {
  try {
    await s.delivery.send({ kind, channel, to, locale: r.locale, params, code });
    return true;
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    await s.audit.record({ event: 'request.notify', outcome: 'failure', reason: err.message, subject: r.accountId });
    return false;
  }
}

export async function approveRequest(s: Services, id: string, by: string): Promise<ReviewOutcome> {
  const r = await s.requests.get(id);
  if (!r) return { ok: false, reason: 'missing' };
  const account = await s.accounts.findById(r.accountId);
  if (!account) return { ok: false, reason: 'no_account' };
  const outcome = await s.requests.decide(id, 'approved', by);
  if (outcome !== 'ok') return { ok: false, reason: outcome as 'missing' | 'approved' | 'rejected' };
  await s.audit.record({ event: 'request.approve', outcome: 'success', actor: by, subject: r.accountId, reason: `${r.kind} ${r.id}` });
  let notified = false;
  if (r.kind === 'contact-change' && r.channel && r.value) {
    await s.accounts.setContact(r.accountId, r.channel === 'email' ? 'email' : 'phone', r.value);
    const channel = await s.secureChannels.get(r.accountId);
    if (channel?.channel === r.channel && channel.to !== r.value) await s.secureChannels.clear(r.accountId);
    notified = await notify(s, r, r.channel, r.value, 'contact_approved');
  } else if (r.kind === 'channel-reset') {
    await s.secureChannels.clear(r.accountId);
    const password = firstAccessPassword(s.config.passwords.personal);
    await s.passwords.set(r.accountId, 'personal', password, { mustChange: true });
    const target = account.email ? { channel: 'email' as const, to: account.email } : account.phone ? { channel: 'sms' as const, to: account.phone } : undefined;
    if (target) notified = await notify(s, r, target.channel, target.to, 'first_access_reset', {}, password);
  }
  return { ok: true, request: (await s.requests.get(id))!, notified };
}

export async function rejectRequest(s: Services, id: string, by: string, note: string): Promise<ReviewOutcome> {
  const r = await s.requests.get(id);
  if (!r) return { ok: false, reason: 'missing' };
  const outcome = await s.requests.decide(id, 'rejected', by, note);
  if (outcome !== 'ok') return { ok: false, reason: outcome as 'missing' | 'approved' | 'rejected' };
  await s.audit.record({ event: 'request.reject', outcome: 'success', actor: by, subject: r.accountId, reason: `${r.kind} ${r.id}` });
  const account = await s.accounts.findById(r.accountId);
  // Told on the secure channel if there is one, else on a contact on record.
  const channel = await s.secureChannels.get(r.accountId);
  const target = channel ?? (account?.email ? { channel: 'email' as const, to: account.email } : account?.phone ? { channel: 'sms' as const, to: account.phone } : undefined);
  const kindName = s.views.strings.t(r.locale, `request.kind.${r.kind}`);
  const notified = target ? await notify(s, r, target.channel, target.to, 'request_rejected', { kind: kindName, note: note.slice(0, 200) }) : false;
  return { ok: true, request: (await s.requests.get(id))!, notified };
}
