// `npm run spid-stub`: the stand-in SPID identity provider in its own process, at SPID_STUB_URL
// (default http://127.0.0.1:3001), keys in SPID_STUB_KEYS_DIR (default var/spid-stub). Development
// and tests only: it refuses to start in production mode unless SPID_STUB=1.
import { startStub } from './server.ts';

const env = process.env;
const production = (env.IDP_PRODUCTION ?? (env.NODE_ENV === 'production' ? '1' : '0')) === '1';
if (production && env.SPID_STUB !== '1') {
  console.error('cannot start: the stand-in SPID identity provider is off in production (set SPID_STUB=1 to run it anyway)');
  process.exit(1);
}
const url = env.SPID_STUB_URL || 'http://127.0.0.1:3001';
const ttl = env.SPID_STUB_STATEMENT_TTL ? Number(env.SPID_STUB_STATEMENT_TTL) : undefined;
startStub({
  url,
  keysDir: env.SPID_STUB_KEYS_DIR || 'var/spid-stub',
  statementTtl: Number.isFinite(ttl) ? ttl : undefined,
  plainUserinfo: env.SPID_STUB_PLAIN_USERINFO === '1',
  log: (line) => console.log(JSON.stringify({ msg: line })),
}).then((stub) => {
  console.log(JSON.stringify({ msg: 'SPID stand-in ready', issuer: stub.url, anchor: stub.anchor }));
  // Started by the IdP (npm start with the demo): tell it, and end with it.
  if (process.send) {
    process.send('ready');
    process.once('disconnect', () => void stub.close().then(() => process.exit(0)));
  }
  const stop = () => void stub.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}, (err: unknown) => {
  console.error('cannot start:', err);
  process.exit(1);
});
