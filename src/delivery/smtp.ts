// Email over SMTP with nodemailer: host, port, TLS mode and optional authentication from the config.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import { DeliveryError, type Message, type Transport } from './message.ts';

type SmtpConfig = Config['delivery']['smtp'];

export class SmtpTransport implements Transport {
  private readonly transporter: Transporter;

  constructor(private readonly smtp: SmtpConfig & { host: string }, timeoutMs: number) {
    this.transporter = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.tls === 'implicit',
      requireTLS: smtp.tls === 'required',
      ignoreTLS: smtp.tls === 'none',
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(m: Message): Promise<void> {
    try {
      await this.transporter.sendMail({ from: this.smtp.from, to: m.to, subject: m.subject, text: m.text });
    } catch (err) {
      // The error names the server's answer or the network failure; never the message.
      throw new DeliveryError('email', `smtp: ${(err as { code?: string }).code ?? 'send failed'}`);
    }
  }
}
