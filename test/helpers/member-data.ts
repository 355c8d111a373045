// Members (citizens with a member code) and back-office staff for the secure-channel tests, on top
// of the shared test data.
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_DATA } from './data.ts';

/** A member with email and phone on record and no secure channel yet. */
export const ANNA = { fiscal_code: 'BNCNNA90A41F205W', password: 'Anna-Pass-1', email: 'anna.bianchi@example.org', phone: '+393330000001', member_code: 'M0000001' };
/** A member whose secure channel is her mobile number. */
export const BRUNO = { fiscal_code: 'FRRBRN75C12L219B', password: 'Bruno-Pass-1', email: 'bruno.ferri@example.org', phone: '+393330000002', member_code: 'M0000002' };
/** A member whose secure channel is her email address. */
export const PAOLA = { fiscal_code: 'NREPLA70E50F839P', password: 'Paola-Pass-1', email: 'paola.neri@example.org', phone: '+393330000004', member_code: 'M0000004' };
/** A member with only an email address on record. */
export const GIANNI = { fiscal_code: 'CSTGNN60M01A944N', password: 'Gianni-Pass-1', email: 'gianni.costa@example.org', member_code: 'M0000005' };
/** Back-office reviewer (not a member), second factor by email. */
export const LUCA = { fiscal_code: 'GLLLCU88D15H501E', password: 'Luca-Pass-1', email: 'luca.galli@bank.example' };

const citizen = (c: { fiscal_code: string; password: string; email?: string; phone?: string; member_code?: string }, extra: Record<string, unknown> = {}) => ({
  fiscal_code: c.fiscal_code, password: c.password, must_change: false, given_name: 'Test', family_name: 'Member',
  ...(c.email ? { email: c.email } : {}), ...(c.phone ? { phone: c.phone } : {}), ...(c.member_code ? { member_code: c.member_code } : {}), ...extra,
});

export const MEMBER_DATA = {
  clients: TEST_DATA.clients,
  citizens: [
    ...TEST_DATA.citizens,
    citizen(ANNA),
    citizen(BRUNO, { secure_channel: 'sms' }),
    citizen(PAOLA, { secure_channel: 'email' }),
    citizen(GIANNI),
    citizen(LUCA, { secure_channel: 'email', roles: ['backoffice'] }),
  ],
  companies: [],
};

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `idp-${prefix}-`));
}

export interface OutboxEntry { channel: string; to: string; subject: string; text: string; code: string | null; kind: string }

export function readOutbox(file: string): OutboxEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as OutboxEntry);
}

/** The newest message to `to` (optionally of one kind). */
export function lastMessage(file: string, to: string, kind?: string): OutboxEntry | undefined {
  return readOutbox(file).filter((m) => m.to === to && (!kind || m.kind === kind)).pop();
}

/**
 * The newest message to `to` once there is one: the public reset pages answer at their timing
 * floor and may leave the sending to finish off the request path (src/http/timing-floor.ts), so on
 * a loaded machine the page can come before the message. Bounded poll, no timing assertion.
 */
export async function awaitMessage(file: string, to: string, kind?: string, ms = 30_000): Promise<OutboxEntry> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = lastMessage(file, to, kind);
    if (m) return m;
    if (Date.now() >= deadline) throw new Error(`no message to ${to}${kind ? ` (${kind})` : ''} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
