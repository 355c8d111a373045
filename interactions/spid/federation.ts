// OpenID Federation 1.0 as SPID uses it (AgID's SPID/CIE OIDC Federation guidelines): entity
// statements (signed `entity-statement+jwt`), entity configurations at /.well-known/openid-federation,
// subordinate statements from a trust anchor's fetch endpoint, metadata policies, and the trust chain
// leaf → trust anchor. Signatures and dates are checked by jose; nothing here parses a JWT by hand.
import { createLocalJWKSet, decodeJwt, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';

export const EC_PATH = '/.well-known/openid-federation';
export const STATEMENT_TYP = 'entity-statement+jwt';
export const STATEMENT_TYPE = 'application/entity-statement+jwt';
const ALGS = ['RS256', 'ES256', 'PS256'];
const MAX_BYTES = 64 * 1024;

export interface SigningKey {
  key: CryptoKey;
  kid: string;
  alg: 'RS256' | 'ES256';
}

export type Metadata = Record<string, Record<string, unknown>>;

export interface Statement extends JWTPayload {
  iss: string;
  sub: string;
  exp: number;
  jwks: JSONWebKeySet;
  metadata?: Metadata;
  metadata_policy?: Record<string, Record<string, Record<string, unknown>>>;
  authority_hints?: string[];
  trust_marks?: unknown[];
}

export class TrustError extends Error {}

/** Signs an entity statement; `ttlSeconds` may be negative (an expired statement, for tests). */
export async function signStatement(payload: Record<string, unknown>, k: SigningKey, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT(payload).setProtectedHeader({ alg: k.alg, kid: k.kid, typ: STATEMENT_TYP })
    .setIssuedAt(iat).setExpirationTime(iat + ttlSeconds).sign(k.key);
}

/** GETs a statement (an entity configuration or a fetch endpoint's answer), bounded in time and size. */
export async function fetchStatement(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: STATEMENT_TYPE } });
  } catch (err) {
    throw new TrustError(`${url} unreachable (${(err as Error).name})`);
  }
  if (res.status !== 200) throw new TrustError(`${url} answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_BYTES || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text.trim())) throw new TrustError(`${url} did not answer an entity statement`);
  return text.trim();
}

/** Checks a statement's signature against `jwks`, its type, issuer, subject and dates. */
export async function verifyStatement(jwt: string, jwks: JSONWebKeySet, expected: { iss: string; sub: string }): Promise<Statement> {
  try {
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      typ: STATEMENT_TYP, issuer: expected.iss, subject: expected.sub, algorithms: ALGS, requiredClaims: ['iat', 'exp'],
    });
    if (!payload.jwks || !Array.isArray((payload.jwks as JSONWebKeySet).keys)) throw new TrustError('statement without jwks');
    return payload as Statement;
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError(`statement of ${expected.sub} by ${expected.iss}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
}

/** An entity configuration: signed by the entity itself with the keys it publishes in it. */
export async function verifySelfSigned(jwt: string, entityId: string): Promise<Statement> {
  let claimed: JWTPayload;
  try {
    claimed = decodeJwt(jwt);
  } catch {
    throw new TrustError(`entity configuration of ${entityId} is not a JWT`);
  }
  const jwks = claimed.jwks as JSONWebKeySet | undefined;
  if (!jwks || !Array.isArray(jwks.keys)) throw new TrustError(`entity configuration of ${entityId} has no jwks`);
  return verifyStatement(jwt, jwks, { iss: entityId, sub: entityId });
}

export async function entityConfiguration(entityId: string, timeoutMs: number): Promise<{ jwt: string; statement: Statement }> {
  const jwt = await fetchStatement(`${entityId.replace(/\/$/, '')}${EC_PATH}`, timeoutMs);
  return { jwt, statement: await verifySelfSigned(jwt, entityId) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** OpenID Federation 1.0, 6.1: a superior's metadata policy applied to one entity type's metadata. */
export function applyPolicy(metadata: Record<string, unknown>, policy: Record<string, Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...metadata };
  for (const [param, ops] of Object.entries(policy ?? {})) {
    if (typeof ops !== 'object' || ops === null) throw new TrustError(`metadata policy of ${param} is not an object`);
    if ('value' in ops) {
      if (ops.value === null) delete out[param];
      else out[param] = ops.value;
    }
    if ('add' in ops && out[param] !== undefined) out[param] = [...new Set([...asArray(out[param]), ...asArray(ops.add)])];
    else if ('add' in ops) out[param] = asArray(ops.add);
    if ('default' in ops && out[param] === undefined) out[param] = ops.default;
    if ('one_of' in ops && out[param] !== undefined && !asArray(ops.one_of).some((v) => same(v, out[param]))) {
      throw new TrustError(`metadata ${param} is not one of the values the policy allows`);
    }
    if ('subset_of' in ops && out[param] !== undefined) {
      const allowed = asArray(ops.subset_of);
      const kept = asArray(out[param]).filter((v) => allowed.some((a) => same(a, v)));
      if (kept.length) out[param] = kept;
      else delete out[param];
    }
    if ('superset_of' in ops && out[param] !== undefined && !asArray(ops.superset_of).every((v) => asArray(out[param]).some((x) => same(x, v)))) {
      throw new TrustError(`metadata ${param} lacks values the policy requires`);
    }
    if (ops.essential === true && out[param] === undefined) throw new TrustError(`metadata ${param} is required by the policy`);
  }
  return out;
}

export interface Anchor {
  id: string;
  /** The anchor's federation keys as configured; unset: those of its own entity configuration. */
  jwks?: JSONWebKeySet;
}

export interface Chain {
  /** The leaf's metadata of the asked type, with the anchor's policy applied. */
  metadata: Record<string, unknown>;
  /** The earliest expiry of the chain's statements (seconds since the epoch). */
  exp: number;
  trustMarks: unknown[];
}

/**
 * Leaf → trust anchor (no intermediates, as in the SPID federation for providers): the leaf's
 * entity configuration names the anchor among its authority_hints; the anchor's subordinate
 * statement about the leaf, signed with the anchor's keys, gives the leaf's keys (which must verify
 * the leaf's configuration) and the metadata policy.
 */
export async function resolveChain(leafId: string, entityType: string, anchor: Anchor, timeoutMs: number): Promise<Chain> {
  try {
    return await chainOf(leafId, entityType, anchor, timeoutMs);
  } catch (err) {
    // Whatever is wrong with what the federation published (a bad URL, a policy of the wrong shape)
    // is a chain that does not verify.
    if (err instanceof TrustError) throw err;
    throw new TrustError(`${leafId}: ${(err as Error).message}`);
  }
}

async function chainOf(leafId: string, entityType: string, anchor: Anchor, timeoutMs: number): Promise<Chain> {
  const leaf = await entityConfiguration(leafId, timeoutMs);
  if (!leaf.statement.authority_hints?.includes(anchor.id)) throw new TrustError(`${leafId} does not name the trust anchor ${anchor.id} among its authority_hints`);
  const anchorEc = anchor.jwks
    ? { statement: await verifyStatement(await fetchStatement(`${anchor.id}${EC_PATH}`, timeoutMs), anchor.jwks, { iss: anchor.id, sub: anchor.id }) }
    : await entityConfiguration(anchor.id, timeoutMs);
  const anchorKeys = anchor.jwks ?? anchorEc.statement.jwks;
  const fetchEndpoint = anchorEc.statement.metadata?.federation_entity?.federation_fetch_endpoint;
  if (typeof fetchEndpoint !== 'string') throw new TrustError(`trust anchor ${anchor.id} publishes no fetch endpoint`);
  const url = new URL(fetchEndpoint);
  url.searchParams.set('sub', leafId);
  const subordinate = await verifyStatement(await fetchStatement(url.href, timeoutMs), anchorKeys, { iss: anchor.id, sub: leafId });
  // The keys the anchor vouches for must be the ones that signed the leaf's configuration.
  await verifyStatement(leaf.jwt, subordinate.jwks, { iss: leafId, sub: leafId });
  const own = leaf.statement.metadata?.[entityType];
  if (!own) throw new TrustError(`${leafId} has no ${entityType} metadata`);
  const metadata = applyPolicy({ ...own, ...(subordinate.metadata?.[entityType] ?? {}) }, subordinate.metadata_policy?.[entityType]);
  return {
    metadata,
    exp: Math.min(leaf.statement.exp, subordinate.exp, anchorEc.statement.exp),
    trustMarks: leaf.statement.trust_marks ?? [],
  };
}
