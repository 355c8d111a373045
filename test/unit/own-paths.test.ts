// Our router sees only requests under its routes' first path segments; others go straight on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { ownPaths } from '../../src/http/own-paths.ts';

async function serve(router: Router): Promise<{ get: (path: string, method?: string) => Promise<[number, string]>; close: () => void }> {
  const app = new Koa();
  app.use(ownPaths(router));
  // The provider stand-in answers its own paths only (anything else stays a 404).
  app.use((ctx) => { if (!ctx.path.startsWith('/interaction/')) ctx.body = 'provider'; });
  const server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    get: async (path, method = 'GET') => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return [res.status, await res.text()];
    },
    close: () => server.close(),
  };
}

describe('ownPaths', () => {
  it('routes our paths, answers 405 for a wrong method on them, and passes every other path on', async () => {
    const router = new Router();
    router.get('/interaction/:uid', (ctx) => { ctx.body = `page ${ctx.params.uid}`; });
    const s = await serve(router);
    try {
      expect(await s.get('/interaction/abc')).toEqual([200, 'page abc']);
      expect((await s.get('/interaction/abc', 'DELETE'))[0]).toBe(405);
      expect(await s.get('/token')).toEqual([200, 'provider']);
      expect(await s.get('/interactionx')).toEqual([200, 'provider']);
    } finally {
      s.close();
    }
  });

  it('routes every path when a route does not start with a fixed segment', async () => {
    const router = new Router();
    router.get('/:anything/x', (ctx) => { ctx.body = 'ours'; });
    const s = await serve(router);
    try {
      expect(await s.get('/token/x')).toEqual([200, 'ours']);
      expect(await s.get('/token')).toEqual([200, 'provider']);
    } finally {
      s.close();
    }
  });
});
