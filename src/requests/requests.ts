// Requests that wait for the back office: a member's contact change and a channel reset, each with a
// scan of an identity document. One pending request per member and kind; a request is decided once
// (a Lua script); its document is deleted DOCUMENT_RETENTION_DAYS after the decision.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { DAY_MS } from '../clock.ts';
import type { Channel } from '../delivery/message.ts';
import type { DocumentStore } from '../documents/document-store.ts';
import type { DocumentType } from '../documents/sniff.ts';
import { keys } from '../store/keys.ts';
import type { ScriptedRedis } from '../store/scripts.ts';

export type RequestKind = 'contact-change' | 'channel-reset';
export type RequestStatus = 'pending' | 'approved' | 'rejected';

export interface BackofficeRequest {
  id: string;
  kind: RequestKind;
  accountId: string;
  status: RequestStatus;
  createdAt: number;
  locale: string;
  /** Contact change: the channel and its new value. */
  channel?: Channel;
  value?: string;
  document?: { file: string; type: DocumentType; size: number };
  decidedAt?: number;
  decidedBy?: string;
  note?: string;
  documentPurgedAt?: number;
}

export const REQUEST_ID = /^[0-9a-f]{16}$/;

function fromHash(h: Record<string, string>): BackofficeRequest | undefined {
  if (!h.id || !h.kind || !h.status) return undefined;
  return {
    id: h.id, kind: h.kind as RequestKind, accountId: h.accountId ?? '', status: h.status as RequestStatus,
    createdAt: Number(h.createdAt), locale: h.locale ?? 'it',
    channel: h.channel ? (h.channel as Channel) : undefined, value: h.value || undefined,
    document: h.docFile ? { file: h.docFile, type: h.docType as DocumentType, size: Number(h.docSize) } : undefined,
    decidedAt: h.decidedAt ? Number(h.decidedAt) : undefined, decidedBy: h.decidedBy || undefined, note: h.note || undefined,
    documentPurgedAt: h.documentPurgedAt ? Number(h.documentPurgedAt) : undefined,
  };
}

export class Requests {
  constructor(private readonly redis: ScriptedRedis, private readonly documents: DocumentStore, private readonly clock: Clock) {}

  async create(r: { kind: RequestKind; accountId: string; locale: string; channel?: Channel; value?: string; document: { data: Buffer; type: DocumentType } }):
    Promise<{ ok: true; request: BackofficeRequest } | { ok: false; reason: 'pending' }> {
    const id = randomBytes(8).toString('hex');
    // One pending request per member and kind: the marker is taken first, atomically. A marker left
    // by a process that died half-way (its request missing or already decided) is taken over.
    const marker = keys.pendingRequest(r.accountId, r.kind);
    if ((await this.redis.set(marker, id, 'NX')) !== 'OK') {
      const holder = await this.redis.get(marker);
      if (holder === null || (await this.isPending(holder)) || !(await this.redis.stringCompareAndSet(marker, holder, id))) {
        return { ok: false, reason: 'pending' };
      }
    }
    try {
      const file = await this.documents.put(r.document.data, id);
      const now = this.clock.now();
      await this.redis.hset(keys.request(id), {
        id, kind: r.kind, accountId: r.accountId, status: 'pending', createdAt: String(now), locale: r.locale,
        channel: r.channel ?? '', value: r.value ?? '', docFile: file, docType: r.document.type, docSize: String(r.document.data.length),
      });
      await this.redis.zadd(keys.requestsPending, now, id);
      return { ok: true, request: (await this.get(id))! };
    } catch (err) {
      await this.redis.del(keys.pendingRequest(r.accountId, r.kind));
      throw err;
    }
  }

  async get(id: string): Promise<BackofficeRequest | undefined> {
    if (!REQUEST_ID.test(id)) return undefined;
    return fromHash(await this.redis.hgetall(keys.request(id)));
  }

  /** Pending requests oldest first, or decided ones newest first. */
  async list(which: 'pending' | 'decided', count = 100): Promise<BackofficeRequest[]> {
    const ids = which === 'pending'
      ? await this.redis.zrange(keys.requestsPending, 0, count - 1)
      : await this.redis.zrevrange(keys.requestsDecided, 0, count - 1);
    const out = await Promise.all(ids.map((id) => this.get(id)));
    return out.filter((r): r is BackofficeRequest => !!r);
  }

  async pendingOf(accountId: string, kind: RequestKind): Promise<string | undefined> {
    const id = await this.redis.get(keys.pendingRequest(accountId, kind));
    return id !== null && (await this.isPending(id)) ? id : undefined;
  }

  private async isPending(id: string): Promise<boolean> {
    return (await this.redis.hget(keys.request(id), 'status')) === 'pending';
  }

  /** Decides a pending request once; returns 'ok', or why not ('missing', or its status). */
  async decide(id: string, status: 'approved' | 'rejected', by: string, note = ''): Promise<string> {
    const r = await this.get(id);
    if (!r) return 'missing';
    const now = this.clock.now();
    const outcome = await this.redis.requestDecide(keys.request(id), status, now, by, note.slice(0, 200));
    if (outcome !== 'ok') return outcome;
    await this.redis.zrem(keys.requestsPending, id);
    await this.redis.zadd(keys.requestsDecided, now, id);
    await this.redis.zadd(keys.requestsRetention, now, id);
    await this.redis.del(keys.pendingRequest(r.accountId, r.kind));
    return 'ok';
  }

  async readDocument(r: BackofficeRequest): Promise<Buffer | undefined> {
    if (!r.document) return undefined;
    // Gone meanwhile (purged, or DOCUMENTS_DIR not shared by this process): "not available", not a 500.
    return this.documents.get(r.document.file, r.id).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  /** Deletes the documents of requests decided more than `retentionDays` ago; returns how many. */
  async purgeDocuments(retentionDays: number): Promise<number> {
    const before = this.clock.now() - retentionDays * DAY_MS;
    const ids = await this.redis.zrangebyscore(keys.requestsRetention, '-inf', before, 'LIMIT', 0, 1000);
    let purged = 0;
    for (const id of ids) {
      const r = await this.get(id);
      if (r?.document) {
        await this.documents.remove(r.document.file);
        await this.redis.hdel(keys.request(id), 'docFile', 'docType', 'docSize');
        await this.redis.hset(keys.request(id), 'documentPurgedAt', String(this.clock.now()));
        purged += 1;
      }
      await this.redis.zrem(keys.requestsRetention, id);
    }
    return purged;
  }
}
