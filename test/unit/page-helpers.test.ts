import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { browserId } from '../../src/http/csrf.ts';
import { backPath } from '../../src/http/language.ts';

const get = (originalUrl: string) => ({ method: 'GET', originalUrl, path: originalUrl.split('?')[0] }) as unknown as Koa.Context;
const viaUrl = (originalUrl: string) => {
  const url = new URL(originalUrl, 'http://x');
  url.searchParams.delete('ui_locales');
  return url.pathname + url.search;
};

describe('page helpers', () => {
  it('leads the language switch back to the page it is on, as the URL parser reads that page', () => {
    for (const p of ['/interaction/T4mD8lbkxsqs9rL9xu5p3eH_-B_rtgO0hvpKe3Umct0', '/account', '/account/totp/setup', '/a/../b', '/a/./b', '/%61b', '//evil/x', '/x?ui_locales=en&y=1', '/x?y=1', '/', '/a//b', '/a b']) {
      expect(backPath(get(p)), p).toBe(viaUrl(p));
    }
    expect(backPath({ method: 'POST', path: '/interaction/abc/abort', originalUrl: '/interaction/abc/abort' } as unknown as Koa.Context)).toBe('/interaction/abc');
  });

  it('gives every new browser an id of its own (32 characters, 24 random bytes), set as an HttpOnly cookie', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const set: string[] = [];
      const ctx = { state: {}, secure: false, cookies: { get: () => undefined, set: (name: string, value: string, o: { httpOnly: boolean }) => set.push(`${name}=${value};${o.httpOnly}`) } } as unknown as Koa.Context;
      const id = browserId(ctx, true)!;
      expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(set).toEqual([`idp_csrf=${id};true`]);
      expect(browserId(ctx, true)).toBe(id); // the same request keeps it
      ids.add(id);
    }
    expect(ids.size).toBe(1000);
  });
});
