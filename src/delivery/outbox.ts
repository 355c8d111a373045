// The development outbox: every message appended as one JSON line to a file. It is the only place
// a code is ever written; one appendFile per message keeps lines whole across processes.
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DeliveryError, type Message, type Transport } from './message.ts';

export class Outbox implements Transport {
  constructor(private readonly file: string) {}

  async send(m: Message): Promise<void> {
    const line = `${JSON.stringify({ channel: m.channel, to: m.to, subject: m.subject, text: m.text, code: m.code ?? null, kind: m.kind })}\n`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, line, { mode: 0o600 });
    } catch (err) {
      throw new DeliveryError(m.channel, `outbox: ${(err as NodeJS.ErrnoException).code ?? 'write failed'}`);
    }
  }
}
