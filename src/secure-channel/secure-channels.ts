// A member's secure channel: the email address or mobile number, chosen among the contacts on
// record and proved with a one-time code, on which codes and first-access passwords are sent.
import type { Redis } from 'ioredis';
import type { Account } from '../accounts/accounts.ts';
import type { Channel } from '../delivery/message.ts';
import { keys } from '../store/keys.ts';

export interface SecureChannel { channel: Channel; to: string; registeredAt: number }

/** Members are citizens with a member code: they register a secure channel. */
export function isMember(account: Account): boolean {
  return account.type === 'citizen' && !!account.memberCode;
}

/** The contacts on record, by channel. */
export function contactsOf(account: Account): { channel: Channel; to: string }[] {
  const out: { channel: Channel; to: string }[] = [];
  if (account.email) out.push({ channel: 'email', to: account.email });
  if (account.phone) out.push({ channel: 'sms', to: account.phone });
  return out;
}

export class SecureChannels {
  constructor(private readonly redis: Redis) {}

  async get(accountId: string): Promise<SecureChannel | undefined> {
    const h = await this.redis.hgetall(keys.secureChannel(accountId));
    if (h.channel !== 'email' && h.channel !== 'sms') return undefined;
    return { channel: h.channel, to: h.to ?? '', registeredAt: Number(h.registeredAt ?? 0) };
  }

  async set(accountId: string, c: SecureChannel): Promise<void> {
    const key = keys.secureChannel(accountId);
    // One MULTI: a reader never sees half of the old channel and half of the new one.
    await this.redis.multi().del(key).hset(key, { channel: c.channel, to: c.to, registeredAt: String(c.registeredAt) }).exec();
  }

  async clear(accountId: string): Promise<void> {
    await this.redis.del(keys.secureChannel(accountId));
  }
}
