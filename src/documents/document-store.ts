// Identity documents at rest: one file per document in DOCUMENTS_DIR, sealed with DATA_KEY
// (AES-256-GCM, the request id bound as associated data), readable only through this class.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sealer } from '../crypto/sealed.ts';

export class DocumentStore {
  constructor(private readonly dir: string, private readonly sealer: Sealer) {}

  private file(name: string): string {
    if (!/^[A-Za-z0-9_-]{20,64}\.sealed$/.test(name)) throw new Error('not a document name');
    return path.join(this.dir, name);
  }

  /** Stores the bytes sealed for `owner` (a request id); returns the file name. */
  async put(data: Buffer, owner: string): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${randomBytes(18).toString('base64url')}.sealed`;
    await writeFile(this.file(name), this.sealer.seal(data, `document:${owner}`), { mode: 0o600, flag: 'wx' });
    return name;
  }

  async get(name: string, owner: string): Promise<Buffer> {
    return this.sealer.open(await readFile(this.file(name), 'utf8'), `document:${owner}`);
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }
}
