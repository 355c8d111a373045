// SMS through an HTTP gateway: a POST of a JSON body built from the configured template, whose string
// values may contain {{to}} and {{text}} (replaced as values, so the JSON stays well formed).
import type { Config } from '../config.ts';
import { DeliveryError, type Message, type Transport } from './message.ts';

type SmsConfig = Config['delivery']['sms'];

export function smsBody(template: string, vars: Record<string, string>): unknown {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{\{(\w+)\}\}/g, (m, name: string) => vars[name] ?? m);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(JSON.parse(template));
}

export class SmsGateway implements Transport {
  constructor(private readonly sms: SmsConfig & { url: string }, private readonly timeoutMs: number) {}

  async send(m: Message): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.sms.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.sms.authHeader ? { authorization: this.sms.authHeader } : {}) },
        body: JSON.stringify(smsBody(this.sms.bodyTemplate, { to: m.to, text: m.text })),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
    } catch (err) {
      throw new DeliveryError('sms', `sms gateway: ${(err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable'}`);
    }
    if (!res.ok) throw new DeliveryError('sms', `sms gateway: HTTP ${res.status}`);
  }
}
