// One pending request per member and kind, even after a process died half-way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/keys.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp(); });
afterAll(async () => t?.close());

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
const request = (accountId: string) => ({ kind: 'contact-change' as const, accountId, locale: 'it', channel: 'email' as const, value: 'new@example.org', document: { data: PNG, type: 'image/png' as const } });

describe('pending request marker', () => {
  it('refuses a second pending request, and takes over a marker whose request is gone or decided', async () => {
    const r = t.idp.services.requests;
    const first = await r.create(request('C.RSSMRA85T10A562S'));
    expect(first.ok).toBe(true);
    expect(await r.create(request('C.RSSMRA85T10A562S'))).toEqual({ ok: false, reason: 'pending' });

    // A process died between taking the marker and writing the request.
    await t.idp.store.redis.set(keys.pendingRequest('C.VRDGPP80A01H501U', 'contact-change'), 'deadbeefdeadbeef');
    expect(await r.pendingOf('C.VRDGPP80A01H501U', 'contact-change')).toBeUndefined();
    const second = await r.create(request('C.VRDGPP80A01H501U'));
    expect(second.ok).toBe(true);
    expect(await r.pendingOf('C.VRDGPP80A01H501U', 'contact-change')).toBe(second.ok ? second.request.id : '');
  });
});
