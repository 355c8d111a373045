// The audit log: filters by field, outcome and time; a tail that prints new events; retention by
// age as well as by size.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/clock.ts';
import { runCli } from '../../src/cli/main.ts';
import { keys } from '../../src/store/keys.ts';
import { realRedis, startIdp, type TestIdp } from '../helpers/idp.ts';
import { COMPANY_DATA } from '../helpers/company-data.ts';

const T0 = Date.parse('2030-03-01T08:00:00Z');
const clock = new ManualClock(T0);
let t: TestIdp;
beforeAll(async () => { t = await startIdp({ data: COMPANY_DATA, options: { clock } }); });
afterAll(async () => t?.close());

const cli = (...args: string[]) => runCli(args, t.config, t.idp.store);

describe('audit command', () => {
  it('filters by outcome, actor, subject and time, for people and for scripts', async () => {
    const audit = t.idp.services.audit;
    await audit.record({ event: 'login.password', outcome: 'failure', reason: 'wrong', subject: 'O.12345678.MARIO', client: 'rp', ip: '127.0.0.1' });
    clock.advance(3600_000); // 09:00
    await audit.record({ event: 'login.password', outcome: 'success', subject: 'O.12345678.MARIO', client: 'rp', ip: '127.0.0.1' });
    clock.advance(3600_000); // 10:00
    await audit.record({ event: 'credential.reissue', outcome: 'success', reason: 'operator', actor: 'A.12345678', subject: 'O.12345678.MARIO' });

    const failures = await cli('audit', '--outcome', 'failure', '--subject', 'O.12345678.MARIO');
    expect(failures).toBe('2030-03-01T08:00:00.000Z  login.password  failure  wrong  -  O.12345678.MARIO  rp  127.0.0.1');
    const window = await cli('audit', '--since', '2030-03-01T08:30:00Z', '--until', '2030-03-01T09:30:00Z', '--json');
    expect(window.split('\n').map((l) => (JSON.parse(l) as { outcome: string; time: string }).time)).toEqual(['2030-03-01T09:00:00.000Z']);
    expect(await cli('audit', '--since', '2030-03-01T09:30:00Z')).toMatch(/^2030-03-01T10:00:00.000Z {2}credential.reissue {2}success {2}operator {2}A.12345678/);
    expect(await cli('audit', '--actor', 'A.12345678', '--count', '1', '--json')).toMatch(/"event":"credential.reissue"/);
    expect(await cli('audit', '--event', 'nothing.like.this')).toBe('(no events)');
    // The newest N, oldest first.
    const two = (await cli('audit', '--count', '2', '--subject', 'O.12345678.MARIO')).split('\n');
    expect(two.map((l) => l.split('  ')[1])).toEqual(['login.password', 'credential.reissue']);
  });

  it('refuses bad options with a clear message', async () => {
    await expect(cli('audit', '--outcome', 'maybe')).rejects.toThrow('--outcome: success, failure or info');
    await expect(cli('audit', '--since', 'yesterday')).rejects.toThrow(/--since: an ISO date or time/);
    await expect(cli('audit', '--count', '0')).rejects.toThrow('--count: 1 to 10000');
    await expect(cli('audit', '--follow', '--limit', '0')).rejects.toThrow('--limit: a positive number');
  });

  it('follows new events as they are appended, only those that match', { skip: !realRedis }, async () => {
    const audit = t.idp.services.audit;
    const after = await audit.lastId();
    const seen: string[] = [];
    const following = audit.follow({ outcome: 'failure' }, (e) => seen.push(`${e.event} ${e.reason}`), { limit: 2, after });
    await audit.record({ event: 'login.password', outcome: 'success', subject: 'x' });
    await audit.record({ event: 'login.password', outcome: 'failure', reason: 'wrong', subject: 'x' });
    await audit.record({ event: 'credential.locked', outcome: 'failure', reason: 'operator', subject: 'x' });
    expect(await following).toBe(2);
    expect(seen).toEqual(['login.password wrong', 'credential.locked operator']);
  });

  it('keeps the events of one request apart, in order, though they share one stream entry', { skip: !realRedis }, async () => {
    const audit = t.idp.services.audit;
    const after = await audit.lastId();
    const seen: string[] = [];
    const following = audit.follow({ subject: 'O.12345678.BATCH' }, (e) => seen.push(`${e.event} ${e.outcome} ${e.reason ?? '-'}`), { limit: 2, after });
    const entries = await t.idp.services.redis.xlen(keys.audit);
    await audit.recordAll([
      { event: 'login.password', outcome: 'success', subject: 'O.12345678.BATCH', client: 'rp', interaction: 'i1' },
      { event: 'login', outcome: 'success', reason: 'urn:loa:1', subject: 'O.12345678.BATCH', client: 'rp' },
    ]);
    expect(await t.idp.services.redis.xlen(keys.audit)).toBe(entries + 1);
    expect(await following).toBe(2);
    expect(seen).toEqual(['login.password success -', 'login success urn:loa:1']);
    const both = await audit.recent(2, { subject: 'O.12345678.BATCH' });
    expect(both.map((e) => [e.event, e.reason, e.interaction])).toEqual([['login.password', undefined, 'i1'], ['login', 'urn:loa:1', undefined]]);
    expect(both[0]!.time).toBe(both[1]!.time);
    expect((await audit.recent(1, { subject: 'O.12345678.BATCH' })).map((e) => e.event)).toEqual(['login']);
    expect((await audit.recent(5, { event: 'login.password', subject: 'O.12345678.BATCH' })).map((e) => e.event)).toEqual(['login.password']);
  });

  it('prints new events with --follow until --limit', { skip: !realRedis }, async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
    try {
      let settled = false;
      const run = cli('audit', '--follow', '--limit', '1', '--event', 'test.tail').finally(() => { settled = true; });
      // The tail starts after the newest event at the moment it starts: append until it has seen one.
      for (let i = 0; i < 100 && !settled; i += 1) {
        await t.idp.services.audit.record({ event: 'test.tail', outcome: 'info', reason: `n${i}` });
        await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, 50))]);
      }
      expect(await run).toBe('(1 events)');
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/^2030-03-01T\S+ {2}test.tail {2}info {2}n\d+/);
  });
});

describe('audit retention', () => {
  it('drops events older than AUDIT_RETENTION_DAYS, by the events\' own time', { skip: !realRedis }, async () => {
    const c = new ManualClock(T0);
    const r = await startIdp({ data: null, overrides: { auditRetentionDays: 30 }, options: { clock: c } });
    try {
      const audit = r.idp.services.audit;
      for (let i = 0; i < 3; i += 1) await audit.record({ event: 'old', outcome: 'info' });
      c.advance(29 * DAY_MS);
      await audit.record({ event: 'recent', outcome: 'info' });
      expect(await r.idp.services.redis.xlen(keys.audit)).toBe(4);
      c.advance(2 * DAY_MS);
      await audit.record({ event: 'new', outcome: 'info' });
      await audit.settled(); // retention runs beside the request, not in it
      const left = await audit.query({ count: 100 });
      expect(left.map((e) => e.event)).toEqual(['recent', 'new']);
    } finally {
      await r.close();
    }
  });
});
