import { describe, expect, it } from 'vitest';
import { parseTime } from '../../src/cli/commands/audit.ts';

describe('audit --since / --until', () => {
  const now = Date.parse('2030-03-01T12:00:00Z');
  it('takes a duration back from now', () => {
    expect(parseTime('30m', now, 'since')).toBe(now - 30 * 60_000);
    expect(parseTime('12h', now, 'since')).toBe(now - 12 * 3_600_000);
    expect(parseTime('7d', now, 'since')).toBe(now - 7 * 86_400_000);
  });
  it('takes an ISO date or time', () => {
    expect(parseTime('2030-02-28', now, 'since')).toBe(Date.parse('2030-02-28'));
    expect(parseTime('2030-02-28T08:00:00Z', now, 'until')).toBe(Date.parse('2030-02-28T08:00:00Z'));
  });
  it('refuses anything else, naming the option', () => {
    for (const bad of ['yesterday', '7w', '-1d', '2030-13-45', '']) expect(() => parseTime(bad, now, 'until')).toThrow(/^--until: /);
  });
});
