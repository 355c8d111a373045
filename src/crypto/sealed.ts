// Secrets at rest (TOTP secrets, card tables, identity documents): AES-256-GCM under the configured
// DATA_KEY, with a random nonce per value and the value's purpose bound as associated data, so a
// sealed value cannot be moved to another field or account unnoticed.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class SealError extends Error {}

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SealError('DATA_KEY must be 32 bytes');
  }

  seal(plain: Buffer | string, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(typeof plain === 'string' ? Buffer.from(plain) : plain), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, purpose: string): Buffer {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new SealError('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    } catch {
      throw new SealError('sealed value does not open with this key and purpose');
    }
  }

  // The MAC keys derived so far, by purpose (the purposes are the code's own, a handful).
  private readonly macKeys = new Map<string, Buffer>();

  /** A MAC of `data` for one purpose (a key derived from DATA_KEY, never the key itself). */
  mac(data: string, purpose: string): string {
    let key = this.macKeys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `mac:${purpose}`, 32));
      if (this.macKeys.size < 100) this.macKeys.set(purpose, key);
    }
    return createHmac('sha256', key).update(data).digest('base64url');
  }

  openText(sealed: string, purpose: string): string {
    return this.open(sealed, purpose).toString('utf8');
  }
}

/** DATA_KEY as base64 or hex (32 bytes). */
export function parseDataKey(raw: string): Buffer | undefined {
  const hex = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : undefined;
  const b64 = hex ?? Buffer.from(raw, 'base64');
  return b64.length === 32 ? b64 : undefined;
}
