// `npm start` with the demo runs the stand-in SPID identity provider beside the IdP, in its own
// process (the one `npm run spid-stub` starts): it ends when the IdP ends (its IPC channel closes).
import { fork, type ChildProcess } from 'node:child_process';
import type { Services } from '../../src/services.ts';
import { spidSettings } from './settings.ts';

let child: ChildProcess | undefined;

export function runStandIn(s: Services): void {
  if (child) return;
  const ts = import.meta.url.endsWith('.ts');
  const file = new URL(`./stub/main.${ts ? 'ts' : 'js'}`, import.meta.url);
  const url = spidSettings.of(s.config).stubUrl;
  child = fork(file, [], {
    env: { ...process.env, SPID_STUB_URL: url, SPID_STUB_IPC: '1' },
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const started = child;
  process.once('exit', () => started.kill('SIGTERM'));
  // Not awaited: the IdP serves at once; SPID is offered once the stand-in answers.
  started.once('message', () => s.log.info({ issuer: url }, 'SPID stand-in identity provider ready (npm run spid-stub)'));
  started.once('exit', (code) => { if (code) s.log.warn({ issuer: url, code }, 'SPID stand-in identity provider stopped: "Enter with SPID" is not offered'); });
  started.unref();
  started.channel?.unref();
}
