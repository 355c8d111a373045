// A real nginx in front of the IdP, as the README configures it for client certificates: TLS on a
// free loopback port, `ssl_verify_client optional_no_ca`, the certificate passed in a header. Its own
// temporary configuration, pid file and logs; stopped by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync('test', ['-x', p]).status === 0);

export interface Nginx { url: string; port: number; pid: number; errors(): string; stop(): Promise<void> }

async function waitForPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not open port ${port}`);
}

export async function startNginx(opts: { port: number; upstream: string; certPem: string; keyPem: string; clientCaPem?: string; header?: string }): Promise<Nginx> {
  if (!NGINX) throw new Error('nginx is not installed');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idp-nginx-'));
  const file = (name: string, text: string) => { const p = path.join(dir, name); writeFileSync(p, text, { mode: 0o600 }); return p; };
  const cert = file('server.pem', opts.certPem);
  const key = file('server.key', opts.keyPem);
  const clientCa = opts.clientCaPem ? file('client-ca.pem', opts.clientCaPem) : undefined;
  const header = opts.header ?? 'X-SSL-Client-Cert';
  const conf = file('nginx.conf', `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${opts.port} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_verify_client optional_no_ca;
    ${clientCa ? `ssl_client_certificate ${clientCa};` : ''}
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto https;
    proxy_set_header ${header} $ssl_client_escaped_cert;
    # An expired or not yet valid certificate fails even optional_no_ca (495): the IdP still gets
    # the request, with the certificate, and explains.
    error_page 495 = @certificate_error;
    location / {
      proxy_pass ${opts.upstream};
    }
    location @certificate_error {
      proxy_pass ${opts.upstream};
    }
  }
}
`);
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  const errors = () => { try { return readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; } };
  try {
    await waitForPort(opts.port, child, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${errors()}`);
  }
  return {
    url: `https://127.0.0.1:${opts.port}`, port: opts.port, pid: child.pid!, errors,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
