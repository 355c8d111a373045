import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDataKey, SealError, Sealer } from '../../src/crypto/sealed.ts';

describe('sealed values', () => {
  const sealer = new Sealer(randomBytes(32));
  it('round-trips and never shows the plain text', () => {
    const sealed = sealer.seal('JBSWY3DPEHPK3PXP', 'totp:C.X');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealer.openText(sealed, 'totp:C.X')).toBe('JBSWY3DPEHPK3PXP');
    expect(sealer.seal('same', 'p')).not.toBe(sealer.seal('same', 'p'));
  });
  it('refuses another purpose, another key, or a tampered value', () => {
    const sealed = sealer.seal('secret', 'totp:C.X');
    expect(() => sealer.open(sealed, 'totp:C.Y')).toThrow(SealError);
    expect(() => new Sealer(randomBytes(32)).open(sealed, 'totp:C.X')).toThrow(SealError);
    const parts = sealed.split('.');
    parts[2] = Buffer.from('tampered').toString('base64url');
    expect(() => sealer.open(parts.join('.'), 'totp:C.X')).toThrow(SealError);
  });
  it('reads DATA_KEY as hex or base64 of 32 bytes only', () => {
    expect(parseDataKey('00'.repeat(32))?.length).toBe(32);
    expect(parseDataKey(randomBytes(32).toString('base64'))?.length).toBe(32);
    expect(parseDataKey('short')).toBeUndefined();
  });
});
