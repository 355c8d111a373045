// A message to one person on one channel. `code` is the secret it carries (a one-time code, a
// first-access password, a member code), kept apart so that the outbox can show it to automation.
export type Channel = 'email' | 'sms';
export const CHANNELS: readonly Channel[] = ['email', 'sms'];

export interface Message {
  kind: string;
  channel: Channel;
  to: string;
  subject: string;
  text: string;
  code?: string;
}

/** The message could not be handed to the mail server, the gateway or the outbox. */
export class DeliveryError extends Error {
  constructor(readonly channel: Channel, message: string) { super(message); }
}

export interface Transport {
  send(message: Message): Promise<void>;
}
