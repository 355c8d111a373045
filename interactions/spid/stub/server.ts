// The stand-in SPID identity provider: a second oidc-provider instance at its own issuer, with its
// own federation entity configuration and a stand-in trust anchor (at <issuer>/anchor). It learns
// relying parties the SPID way (automatic registration: the client_id is the RP's entity id, its
// metadata come from its entity configuration, which must name our anchor), checks the request
// objects it receives against the SPID/CIE OIDC profile, and lets the tester pick an identity, a
// level, or one of the error outcomes a broker must handle.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import getRawBody from 'raw-body';
import Provider, { errors, type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { decodeJwt, SignJWT } from 'jose';
import { EC_PATH, entityConfiguration, signStatement, STATEMENT_TYPE, TrustError } from '../federation.ts';
import { SPID_LEVELS, spidRank } from '../levels.ts';
import { ATTRIBUTES, IDENTITIES, identityBySubject, subjectOf } from './identities.ts';
import { stubKeys, type StubKeys } from './keys.ts';
import { STRINGS, type Key, type Lang } from './strings.ts';

export interface StubOptions {
  /** The issuer, e.g. http://127.0.0.1:3001 (it listens on its host and port). */
  url: string;
  keysDir: string;
  /** Lifetime of the anchor's statement about the OP, in seconds; negative: an expired one (tests). */
  statementTtl?: number;
  /** Answer userinfo as plain JSON instead of a signed JWT. */
  plainUserinfo?: boolean;
  log?: (line: string) => void;
}

export interface Stub { url: string; anchor: string; server: http.Server; keys: StubKeys; close(): Promise<void> }

const OUTCOMES = ['ok', 'cancel', 'failed', 'attempts', 'identity_type', 'lower', 'expired', 'badsig', 'badnonce'] as const;
type Outcome = (typeof OUTCOMES)[number];
const AMR: Record<string, string[]> = { [SPID_LEVELS[0]]: ['pwd'], [SPID_LEVELS[1]]: ['pwd', 'otp'], [SPID_LEVELS[2]]: ['pwd', 'hwk'] };
const ERRORS: Partial<Record<Outcome, string>> = {
  cancel: 'ErrorCode nr25: the user cancelled the authentication',
  failed: 'Authentication failed',
  attempts: 'ErrorCode nr19: too many failed attempts',
  identity_type: 'ErrorCode nr30: wrong identity type',
};

const isLoopback = (u: URL) => u.protocol === 'http:' || u.protocol === 'https:' ? ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || u.hostname.startsWith('127.') : false;

/** oidc-provider's models in memory (one process), and relying parties resolved through the federation. */
function memoryAdapter(resolveClient: (id: string) => Promise<AdapterPayload | undefined>) {
  const store = new Map<string, { payload: AdapterPayload; exp?: number }>();
  const live = (k: string) => {
    const e = store.get(k);
    if (e?.exp && e.exp < Date.now()) { store.delete(k); return undefined; }
    return e?.payload;
  };
  return class implements Adapter {
    constructor(private readonly name: string) {}
    private key(id: string) { return `${this.name}:${id}`; }
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      // A stand-in for development and tests: bounded, whatever runs against it.
      if (store.size > 50_000) store.clear();
      store.set(this.key(id), { payload, exp: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.grantId) store.set(`grant:${payload.grantId}:${this.key(id)}`, { payload: { id: this.key(id) } as AdapterPayload, exp: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.uid) store.set(`uid:${this.name}:${payload.uid}`, { payload: { id } as AdapterPayload, exp: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    }
    async find(id: string) {
      if (this.name === 'Client') {
        const known = live(this.key(id));
        if (known) return known;
        const resolved = await resolveClient(id);
        if (resolved) store.set(this.key(id), { payload: resolved, exp: Date.now() + 300_000 });
        return resolved;
      }
      return live(this.key(id));
    }
    async findByUserCode() { return undefined; }
    async findByUid(uid: string) {
      const ref = live(`uid:${this.name}:${uid}`);
      return ref ? live(this.key(String(ref.id))) : undefined;
    }
    async consume(id: string) {
      const p = live(this.key(id));
      if (p) p.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) { store.delete(this.key(id)); }
    async revokeByGrantId(grantId: string) {
      for (const k of [...store.keys()]) {
        if (k.startsWith(`grant:${grantId}:`)) { store.delete(String(store.get(k)!.payload.id)); store.delete(k); }
      }
    }
  };
}

function esc(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startStub(opts: StubOptions): Promise<Stub> {
  const issuer = opts.url.replace(/\/$/, '');
  const anchorId = `${issuer}/anchor`;
  const keys = await stubKeys(opts.keysDir);
  const log = opts.log ?? (() => undefined);
  // What each login chose, by the nonce of its request: the token endpoint's answer follows it.
  const outcomes = new Map<string, Outcome>();

  /** A relying party, from its entity configuration (it must name our anchor). */
  async function resolveClient(id: string): Promise<AdapterPayload | undefined> {
    let url: URL;
    try { url = new URL(id); } catch { return undefined; }
    if (!isLoopback(url)) return undefined;
    try {
      const { statement } = await entityConfiguration(id, 5000);
      if (!statement.authority_hints?.includes(anchorId)) throw new TrustError('its authority_hints do not name this trust anchor');
      const rp = statement.metadata?.openid_relying_party as Record<string, unknown> | undefined;
      if (!rp || rp.client_id !== id) throw new TrustError('no openid_relying_party metadata for this client_id');
      return {
        client_id: id,
        client_name: typeof rp.client_name === 'string' ? rp.client_name : id,
        redirect_uris: rp.redirect_uris as string[],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: rp.jwks as AdapterPayload['jwks'],
        id_token_signed_response_alg: 'RS256',
        ...(opts.plainUserinfo ? {} : { userinfo_signed_response_alg: 'RS256' }),
        // Signed, then encrypted to the RP's key when its metadata ask for it.
        ...(!opts.plainUserinfo && typeof rp.userinfo_encrypted_response_alg === 'string'
          ? { userinfo_encrypted_response_alg: rp.userinfo_encrypted_response_alg, userinfo_encrypted_response_enc: typeof rp.userinfo_encrypted_response_enc === 'string' ? rp.userinfo_encrypted_response_enc : 'A128CBC-HS256' }
          : {}),
        request_object_signing_alg: 'RS256',
      } as AdapterPayload;
    } catch (err) {
      log(`relying party ${id} not accepted: ${(err as Error).message}`);
      return undefined;
    }
  }

  const claims: Configuration['claims'] = { openid: ['sub', 'acr', 'amr', 'auth_time'] };
  for (const a of ATTRIBUTES) claims[a] = null;

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(resolveClient),
    jwks: { keys: [keys.op.jwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    acrValues: [...SPID_LEVELS],
    claims,
    scopes: ['openid'],
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      jwtUserinfo: { enabled: true },
      encryption: { enabled: true },
      requestObjects: {
        enabled: true,
        requireSignedRequestObject: true,
        // The SPID/CIE OIDC profile's rules for the request object.
        async assertJwtClaimsAndHeader(_ctx, c, header, client) {
          const fail = (why: string) => { throw new errors.InvalidRequestObject(why); };
          if (!['RS256', 'ES256'].includes(String(header.alg))) fail('the request object must be signed with RS256 or ES256');
          if (c.iss !== client.clientId || c.client_id !== client.clientId) fail('iss and client_id must be the client_id');
          const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
          if (!aud.includes(issuer)) fail('aud must name this provider');
          if (typeof c.exp !== 'number' || typeof c.iat !== 'number') fail('exp and iat are required');
          if (c.response_type !== 'code') fail('response_type must be code');
          if (!String(c.scope ?? '').split(' ').includes('openid')) fail('scope must include openid');
          if (typeof c.nonce !== 'string' || c.nonce.length < 32) fail('nonce must be at least 32 characters');
          if (typeof c.state !== 'string' || c.state.length < 32) fail('state must be at least 32 characters');
          if (c.code_challenge_method !== 'S256' || typeof c.code_challenge !== 'string') fail('PKCE with S256 is required');
          const prompt = String(c.prompt ?? '').split(' ');
          if (!prompt.includes('consent')) fail('prompt must be consent or consent login');
          const acrs = String(c.acr_values ?? '').split(' ').filter(Boolean);
          if (!acrs.length || acrs.some((a) => spidRank(a) < 0)) fail('acr_values must be SPID levels');
          if (!(client.redirectUris ?? []).includes(String(c.redirect_uri))) fail('redirect_uri is not in the relying party\'s federation metadata');
          if (typeof c.claims !== 'object' && typeof c.claims !== 'string') fail('the claims parameter is required');
        },
      },
    },
    async findAccount(_ctx, sub) {
      const identity = identityBySubject(sub);
      if (!identity) return undefined;
      return { accountId: sub, async claims() { return { sub, ...identity.attributes }; } };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Interaction: 600, Session: 600, Grant: 600, IdToken: 600, AccessToken: 300, AuthorizationCode: 60 },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Error</title><main><h1>${esc(out.error)}</h1><p>${esc(out.error_description ?? '')}</p></main></html>`;
    },
  });
  provider.on('server_error', (_ctx, err) => log(`server error: ${err.message}`));

  // The error outcomes that live in the ID token: rewrite it the way a faulty provider would.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.path !== '/token' || ctx.status !== 200 || !body || typeof body.id_token !== 'string') return;
    const payload = decodeJwt(body.id_token);
    const outcome = outcomes.get(String(payload.nonce));
    if (!outcome || !['expired', 'badsig', 'badnonce'].includes(outcome)) return;
    const now = Math.floor(Date.now() / 1000);
    const changed = { ...payload };
    if (outcome === 'expired') Object.assign(changed, { iat: now - 7200, exp: now - 3600 });
    if (outcome === 'badnonce') changed.nonce = randomBytes(24).toString('base64url');
    const key = outcome === 'badsig' ? keys.rogue : keys.op;
    body.id_token = await new SignJWT(changed).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.key);
  });

  // Say how userinfo went out (a JWE has five parts), for the tests.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/me' && ctx.status === 200) {
      const body = typeof ctx.body === 'string' ? ctx.body : '';
      log(`userinfo answered as ${body.split('.').length === 5 ? 'encrypted JWT' : body.split('.').length === 3 ? 'signed JWT' : 'JSON'}`);
    }
  });

  const app = new Koa();
  const router = new Router();
  const metadata = () => ({
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/me`,
    jwks_uri: `${issuer}/jwks`,
    jwks: { keys: [keys.op.publicJwk] },
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    scopes_supported: ['openid'],
    claims_supported: ['sub', ...ATTRIBUTES],
    acr_values_supported: [...SPID_LEVELS],
    subject_types_supported: ['pairwise'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'],
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: ['RS256', 'ES256'],
    id_token_signing_alg_values_supported: ['RS256'],
    userinfo_signing_alg_values_supported: ['RS256'],
    userinfo_encryption_alg_values_supported: ['RSA-OAEP-256'],
    userinfo_encryption_enc_values_supported: ['A128CBC-HS256', 'A256GCM'],
    claims_parameter_supported: true,
    client_registration_types_supported: ['automatic'],
    authorization_response_iss_parameter_supported: true,
  });
  const statementResponse = (ctx: Koa.Context, jwt: string) => {
    ctx.type = STATEMENT_TYPE;
    ctx.set('cache-control', 'no-store');
    ctx.body = jwt;
  };

  // The OP's entity configuration, with a trust mark from the anchor.
  router.get(EC_PATH, async (ctx) => {
    const trustMark = await new SignJWT({ iss: anchorId, sub: issuer, id: 'https://www.spid.gov.it/openid-federation/agreement/op-public/' })
      .setProtectedHeader({ alg: 'RS256', kid: keys.anchor.kid, typ: 'trust-mark+jwt' }).setIssuedAt().sign(keys.anchor.key);
    statementResponse(ctx, await signStatement({
      iss: issuer, sub: issuer, jwks: { keys: [keys.opFederation.publicJwk] }, authority_hints: [anchorId],
      metadata: { openid_provider: metadata(), federation_entity: { organization_name: 'SPID stand-in', homepage_uri: issuer } },
      trust_marks: [{ id: 'https://www.spid.gov.it/openid-federation/agreement/op-public/', trust_mark: trustMark }],
    }, keys.opFederation, 86400));
  });
  // The stand-in trust anchor.
  router.get(`/anchor${EC_PATH}`, async (ctx) => {
    statementResponse(ctx, await signStatement({
      iss: anchorId, sub: anchorId, jwks: { keys: [keys.anchor.publicJwk] },
      metadata: { federation_entity: { organization_name: 'SPID stand-in trust anchor', federation_fetch_endpoint: `${anchorId}/fetch` } },
    }, keys.anchor, 86400));
  });
  router.get('/anchor/fetch', async (ctx) => {
    const sub = typeof ctx.query.sub === 'string' ? ctx.query.sub : '';
    if (sub === issuer) {
      return statementResponse(ctx, await signStatement({
        iss: anchorId, sub, jwks: { keys: [keys.opFederation.publicJwk] },
        metadata_policy: { openid_provider: {
          token_endpoint_auth_methods_supported: { subset_of: ['private_key_jwt'] },
          code_challenge_methods_supported: { subset_of: ['S256'], essential: true },
          request_object_signing_alg_values_supported: { subset_of: ['RS256', 'ES256'] },
        } },
      }, keys.anchor, opts.statementTtl ?? 86400));
    }
    // Relying parties on this machine are enrolled as they come (a stand-in, not a real anchor).
    let url: URL | undefined;
    try { url = new URL(sub); } catch { url = undefined; }
    if (url && isLoopback(url)) {
      try {
        const { statement } = await entityConfiguration(sub, 5000);
        return statementResponse(ctx, await signStatement({ iss: anchorId, sub, jwks: statement.jwks }, keys.anchor, 86400));
      } catch { /* not found below */ }
    }
    ctx.status = 404;
    ctx.body = { error: 'not_found', error_description: 'unknown subordinate' };
  });

  const page = (ctx: Koa.Context, lang: Lang, body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(STRINGS[lang].title)}</title><style>
body{font-family:system-ui,sans-serif;margin:0;background:#f2f5f8;color:#17324d}header{background:#0066cc;color:#fff;padding:1rem 1.5rem}header p{margin:.25rem 0 0}
main{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:4px}fieldset{border:1px solid #c5d0db;margin:0 0 1rem;padding:.75rem 1rem}
label{display:block;padding:.3rem 0}button{font:inherit;padding:.6rem 1rem;margin:.25rem .25rem .25rem 0;border-radius:4px;border:1px solid #0066cc;background:#fff;color:#004d99;cursor:pointer}
button.primary{background:#0066cc;color:#fff;font-weight:600}.alert{background:#fde8e8;color:#7a1010;padding:.75rem;border-radius:4px}.lang{color:#fff}
</style></head><body><header><strong>${esc(STRINGS[lang].title)}</strong><p>${esc(STRINGS[lang].banner)}</p></header><main>${body}</main></body></html>`;
  };
  const langOf = (ctx: Koa.Context, params?: Record<string, unknown>): Lang => {
    const asked = (typeof ctx.query.lang === 'string' ? ctx.query.lang : '') || String(params?.ui_locales ?? '') || ctx.get('accept-language');
    return /^\s*en/i.test(asked) ? 'en' : 'it';
  };
  const t = (lang: Lang, key: Key, p: Record<string, string> = {}) => STRINGS[lang][key].replace(/\{(\w+)\}/g, (_m, k: string) => p[k] ?? '');

  function loginPage(ctx: Koa.Context, lang: Lang, uid: string, params: Record<string, unknown>, error?: string) {
    const asked = String(params.acr_values ?? '').split(' ').filter((a) => spidRank(a) >= 0);
    const level = asked[0] ?? SPID_LEVELS[1];
    const requested = requestedClaims(params);
    const identities = IDENTITIES.map((i, n) => `<label><input type="radio" name="identity" value="${esc(i.id)}"${n === 0 ? ' checked' : ''}> ${esc(i.label)}</label>`).join('');
    const levels = SPID_LEVELS.map((l) => `<label><input type="radio" name="level" value="${esc(l.split('/').pop())}"${l === level ? ' checked' : ''}> ${esc(l.split('/').pop())}</label>`).join('');
    const buttons = OUTCOMES.filter((o) => o !== 'ok').map((o) => `<button type="submit" name="outcome" value="${o}">${esc(t(lang, o as Key))}</button>`).join('');
    const other = lang === 'it' ? 'en' : 'it';
    page(ctx, lang, `<h1>${esc(t(lang, 'title'))}</h1>
<p><a href="/interaction/${esc(uid)}?lang=${other}" lang="${other}">${esc(t(lang, 'language'))}</a></p>
${error ? `<p class="alert" role="alert">${esc(error)}</p>` : ''}
<p>${esc(t(lang, 'asks', { client: String(params.client_id), level: level.split('/').pop()! }))}</p>
<form method="post" action="/interaction/${esc(uid)}">
<input type="hidden" name="lang" value="${lang}">
<fieldset><legend>${esc(t(lang, 'identity'))}</legend>${identities}</fieldset>
<fieldset><legend>${esc(t(lang, 'level'))}</legend>${levels}</fieldset>
<p>${esc(t(lang, 'consent', { attributes: requested.join(', ') || 'sub' }))}</p>
<button type="submit" class="primary" name="outcome" value="ok">${esc(t(lang, 'submit'))}</button>
<fieldset><legend>${esc(t(lang, 'errors'))}</legend>${buttons}</fieldset>
</form>`, error ? 400 : 200);
  }

  router.get('/interaction/:uid', async (ctx) => {
    let details;
    try { details = await provider.interactionDetails(ctx.req, ctx.res); } catch {
      return page(ctx, langOf(ctx), `<h1>${esc(t(langOf(ctx), 'title'))}</h1><p class="alert" role="alert">${esc(t(langOf(ctx), 'expired_interaction'))}</p>`, 400);
    }
    loginPage(ctx, langOf(ctx, details.params), details.uid, details.params);
  });
  router.post('/interaction/:uid', async (ctx) => {
    let details;
    try { details = await provider.interactionDetails(ctx.req, ctx.res); } catch {
      return page(ctx, langOf(ctx), `<h1>${esc(t(langOf(ctx), 'title'))}</h1><p class="alert" role="alert">${esc(t(langOf(ctx), 'expired_interaction'))}</p>`, 400);
    }
    let form: URLSearchParams;
    try { form = new URLSearchParams(await getRawBody(ctx.req, { limit: '16kb', encoding: 'utf8' })); } catch { ctx.status = 413; ctx.body = 'form too large'; return; }
    const lang: Lang = form.get('lang') === 'en' ? 'en' : 'it';
    const params = details.params as Record<string, unknown>;
    const outcome = OUTCOMES.find((o) => o === form.get('outcome'));
    const identity = IDENTITIES.find((i) => i.id === form.get('identity'));
    const level = SPID_LEVELS.find((l) => l.endsWith(`/${form.get('level') ?? ''}`));
    if (!outcome || !identity || !level) return loginPage(ctx, lang, details.uid, params, t(lang, 'bad_choice'));
    let result: Record<string, unknown>;
    const error = ERRORS[outcome];
    if (error) {
      result = { error: 'access_denied', error_description: error };
    } else {
      const asked = String(params.acr_values ?? '').split(' ').filter((a) => spidRank(a) >= 0).map(spidRank);
      const acr = outcome === 'lower' ? SPID_LEVELS[Math.max(0, Math.min(...asked, 3) - 1)]! : level;
      const sub = subjectOf(identity.id);
      const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({ accountId: sub, clientId: String(params.client_id) });
      grant.addOIDCScope('openid');
      grant.addOIDCClaims(requestedClaims(params));
      const grantId = await grant.save();
      outcomes.set(String(params.nonce), outcome);
      if (outcomes.size > 10_000) outcomes.delete(outcomes.keys().next().value!);
      result = { login: { accountId: sub, acr, amr: AMR[acr], remember: false }, consent: { grantId } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
  });

  app.use(router.routes());
  app.use(async (ctx) => {
    ctx.respond = false;
    await provider.callback()(ctx.req, ctx.res);
  });
  const url = new URL(issuer);
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(url.port || 80), url.hostname.replace(/^\[|\]$/g, ''), () => resolve());
  });
  return {
    url: issuer, anchor: anchorId, server, keys,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function requestedClaims(params: Record<string, unknown>): string[] {
  let parsed: { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } = {};
  try {
    parsed = typeof params.claims === 'string' ? JSON.parse(params.claims) : ((params.claims as typeof parsed) ?? {});
  } catch { parsed = {}; }
  return [...new Set([...Object.keys(parsed.userinfo ?? {}), ...Object.keys(parsed.id_token ?? {})])].filter((c) => ATTRIBUTES.includes(c));
}
