import { describe, expect, it } from 'vitest';
import { smsBody } from '../../src/delivery/sms-gateway.ts';
import { maskEmail, maskPhone } from '../../src/delivery/mask.ts';
import { sniffDocumentType } from '../../src/documents/sniff.ts';
import { firstAccessPassword } from '../../src/accounts/first-access-password.ts';
import { checkPasswordPolicy } from '../../src/accounts/password-policy.ts';
import { DEFAULTS } from '../../src/config.ts';

describe('delivery pieces', () => {
  it('fills the SMS body template as JSON values, so quotes in the text cannot break it', () => {
    const body = smsBody('{"to":"{{to}}","msg":{"text":"{{text}}","from":"BANK"},"tags":["{{to}}"]}', { to: '+393330000001', text: 'say "hi"\n123456' });
    expect(body).toEqual({ to: '+393330000001', msg: { text: 'say "hi"\n123456', from: 'BANK' }, tags: ['+393330000001'] });
  });
  it('masks contacts', () => {
    expect(maskEmail('mario.rossi@example.org')).toBe('m*********i@e***.org');
    expect(maskPhone('+393331234567')).toBe('+39******4567');
  });
  it('tells PDF, JPEG and PNG by their bytes only', () => {
    expect(sniffDocumentType(Buffer.from('%PDF-1.4 ...'))).toBe('application/pdf');
    expect(sniffDocumentType(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0]))).toBe('image/jpeg');
    expect(sniffDocumentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffDocumentType(Buffer.from('MZ\x90\x00'))).toBeUndefined();
    expect(sniffDocumentType(Buffer.from('<html>%PDF-'))).toBeUndefined();
    expect(sniffDocumentType(Buffer.alloc(0))).toBeUndefined();
  });
  it('makes first-access passwords that the personal policy accepts', () => {
    for (let i = 0; i < 50; i += 1) expect(checkPasswordPolicy(firstAccessPassword(DEFAULTS.passwords.personal), DEFAULTS.passwords.personal)).toBeUndefined();
  });
});
