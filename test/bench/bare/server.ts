// The bench's baseline: a bare oidc-provider (the installed version) on the same Redis, with the
// minimal adapter beside this file, one login page (user and password, as ours), the same Argon2id
// verify, and the configuration of ours where it shapes a login's work (claims, TTLs, RS256 ID
// tokens, features, first-party grants without consent). Run by the bench as its own process:
//   REDIS_URL=... PORT=... ISSUER=... BENCH_DATA=file.json ARGON2=m,t,p node --import tsx test/bench/bare/server.ts
import { createHmac, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { bareAdapter } from './adapter.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`bare provider: ${name} is not set`);
  return v;
};
const issuer = env('ISSUER');
const [memoryCost, timeCost, parallelism] = env('ARGON2').split(',').map(Number) as [number, number, number];
const data = JSON.parse(readFileSync(env('BENCH_DATA'), 'utf8')) as {
  clients: ({ client_id: string; first_party?: boolean } & Record<string, unknown>)[];
  citizens: { fiscal_code: string; password: string; given_name?: string; family_name?: string }[];
};

const redis = new Redis(env('REDIS_URL'), { keyPrefix: process.env.REDIS_PREFIX ?? 'bare:', maxRetriesPerRequest: 1 });
const argon = { algorithm: Algorithm.Argon2id, memoryCost, timeCost, parallelism };
const userKey = (id: string) => `user:${id}`;
await Promise.all(data.citizens.map(async (c) => {
  await redis.hset(userKey(c.fiscal_code), { hash: await argonHash(c.password, argon), given_name: c.given_name ?? '', family_name: c.family_name ?? '' });
}));
// Compared with when the user is unknown, so that the answer takes the same time.
const dummyHash = await argonHash(randomBytes(16).toString('hex'), argon);

const jwk = (alg: string, type: 'rsa' | 'ec') => {
  const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: alg.toLowerCase() };
};
const KNOWN_METADATA = ['client_id', 'client_secret', 'redirect_uris', 'grant_types', 'token_endpoint_auth_method', 'id_token_signed_response_alg'];

const configuration: Configuration = {
  adapter: bareAdapter(redis),
  clients: data.clients.filter((c) => c.first_party).map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => KNOWN_METADATA.includes(k)))) as unknown as Configuration['clients'],
  jwks: { keys: [jwk('RS256', 'rsa'), jwk('ES256', 'ec')] } as Configuration['jwks'],
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], profile: ['name', 'given_name', 'family_name'] },
  scopes: ['openid', 'offline_access', 'profile'],
  responseTypes: ['code'],
  clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: (process.env.ID_TOKEN_ALG ?? 'RS256') as 'RS256' },
  async findAccount(_ctx, sub) {
    const u = await redis.hgetall(userKey(sub));
    if (!u.hash) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: `${u.given_name} ${u.family_name}`.trim(), given_name: u.given_name, family_name: u.family_name };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
    if (grantId) {
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
    grant.addOIDCScope('openid profile offline_access');
    await grant.save();
    return grant;
  },
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // Every refresh grant rotates the refresh token, as ours does for every client (src/token-policy.ts).
  rotateRefreshToken: () => true,
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Interaction: 1800, Session: 28800, Grant: 28800, IdToken: 3600, AccessToken: 600, RefreshToken: 28800, AuthorizationCode: 60 },
};

const provider = new Provider(issuer, configuration);
const csrfKey = randomBytes(32);
const csrfFor = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');
const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><h1>Sign in</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}<form method="post" action="/interaction/${escape(uid)}">
<input type="hidden" name="csrf" value="${csrfFor(uid)}"><label>Fiscal code <input name="fiscal_code"></label>
<label>Password <input type="password" name="password"></label><button type="submit">Sign in</button></form></body></html>`;
}

async function formBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
  if (!m || !['GET', 'POST'].includes(ctx.method)) return next();
  const uid = m[1]!;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    ctx.status = 400;
    ctx.body = 'unsupported interaction';
    return undefined;
  }
  ctx.type = 'html';
  if (ctx.method === 'GET') {
    ctx.body = page(uid);
    return undefined;
  }
  const form = await formBody(ctx.req);
  const csrf = Buffer.from(form.get('csrf') ?? '');
  const expected = Buffer.from(csrfFor(uid));
  if (csrf.length !== expected.length || !timingSafeEqual(csrf, expected)) {
    ctx.status = 403;
    ctx.body = page(uid, 'Please try again.');
    return undefined;
  }
  const fiscalCode = (form.get('fiscal_code') ?? '').trim().toUpperCase();
  const stored = await redis.hget(userKey(fiscalCode), 'hash');
  const ok = await argonVerify(stored ?? dummyHash, form.get('password') ?? '');
  if (!stored || !ok) {
    ctx.status = 401;
    ctx.body = page(uid, 'Wrong user or password.');
    return undefined;
  }
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: fiscalCode } }, { mergeWithLastSubmission: false });
  (ctx as KoaContextWithOIDC).respond = false;
  return undefined;
});

const server = http.createServer(provider.callback());
server.listen(Number(env('PORT')), '127.0.0.1', () => console.log(`bare provider ready at ${issuer}`));
const stop = () => { server.close(); redis.disconnect(); process.exit(0); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
