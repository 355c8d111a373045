// Sends messages: email over SMTP when SMTP_HOST is set, SMS through the gateway when
// SMS_GATEWAY_URL is set, anything else to the outbox (on by default outside production). The text
// comes from the locale strings "message.<kind>.subject" and "message.<kind>.text" (Italian, English).
import type { Config } from '../config.ts';
import type { Strings } from '../http/i18n.ts';
import { DeliveryError, type Channel, type Message, type Transport } from './message.ts';
import { Outbox } from './outbox.ts';
import { SmsGateway } from './sms-gateway.ts';
import { SmtpTransport } from './smtp.ts';

export interface Compose {
  kind: string;
  channel: Channel;
  to: string;
  locale: string;
  params?: Record<string, string | number>;
  /** The secret the message carries, if any (also a {code} parameter of the text). */
  code?: string;
}

export class Delivery {
  private readonly transports: Record<Channel, Transport | undefined>;

  constructor(config: Pick<Config, 'delivery' | 'production'>, private readonly strings: Strings) {
    const d = config.delivery;
    const outbox = (d.outbox ?? !config.production) ? new Outbox(d.outboxFile) : undefined;
    const { host } = d.smtp;
    const { url } = d.sms;
    this.transports = {
      email: host ? new SmtpTransport({ ...d.smtp, host }, d.timeoutMs) : outbox,
      sms: url ? new SmsGateway({ ...d.sms, url }, d.timeoutMs) : outbox,
    };
  }

  /** Composes and sends; throws DeliveryError when the channel has no transport or it fails. */
  async send(c: Compose): Promise<void> {
    const transport = this.transports[c.channel];
    if (!transport) throw new DeliveryError(c.channel, `no transport configured for ${c.channel}`);
    const params = { ...c.params, ...(c.code !== undefined ? { code: c.code } : {}) };
    const message: Message = {
      kind: c.kind, channel: c.channel, to: c.to, code: c.code,
      subject: this.strings.t(c.locale, `message.${c.kind}.subject`, params),
      text: this.strings.t(c.locale, `message.${c.kind}.text`, params),
    };
    await transport.send(message);
  }
}
