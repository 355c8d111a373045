// SIGTERM: the process stops accepting connections, finishes the requests in flight, closes Redis
// and exits 0; /readyz says 503 meanwhile.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/process.ts';

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describe('SIGTERM', () => {
  it('finishes a request in flight, refuses new connections, and exits 0', async () => {
    const server = await startServer({});
    const port = Number(new URL(server.url).port);
    const body = 'csrf=x&password=unfinished';
    // A request whose body is still on its way when the signal comes.
    const req = http.request(`${server.url}/interaction/some-uid`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => { req.once('response', resolve); req.once('error', reject); });
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    let closed = false;
    for (let i = 0; i < 100 && !closed; i += 1) {
      closed = await refused(port);
      if (!closed) await new Promise((r) => setTimeout(r, 50));
    }
    expect(closed).toBe(true);
    req.end(body.slice(10));
    const res = await response;
    res.resume();
    // An answer, not a reset: the form token is not this browser's (and the interaction does not
    // exist), so the "start again" page.
    expect(res.statusCode).toBe(403);
    expect(await exited).toBe(0);
    expect(server.lines.some((l) => l.includes('shutting down'))).toBe(true);
  });
});
