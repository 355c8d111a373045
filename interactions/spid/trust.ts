// The broker's side of the federation: our entity configuration (what the providers learn about us),
// and each upstream provider's trust chain to the configured anchor, verified and cached in Redis
// until the chain's earliest expiry. A provider whose chain does not verify is not offered (audited).
import type { Services } from '../../src/services.ts';
import { resolveChain, signStatement, TrustError } from './federation.ts';
import { brokerKeys, spidKeys } from './keys.ts';
import { SPID_LEVELS } from './levels.ts';
import { spidSettings, trustAnchorOf, upstreams, type Upstream } from './settings.ts';

export const CALLBACK_PATH = '/callback/spid';
const FAILED_TTL = 15;

/** Our entity configuration: served at /.well-known/openid-federation, signed with the federation key. */
export async function ourEntityConfiguration(s: Services): Promise<string> {
  const { federation, core, encryption } = await brokerKeys(s);
  const issuer = s.config.issuer;
  const anchor = trustAnchorOf(s.config);
  return signStatement({
    iss: issuer,
    sub: issuer,
    jwks: { keys: [federation.publicJwk] },
    authority_hints: anchor ? [anchor] : [],
    metadata: {
      federation_entity: { organization_name: s.config.brand?.name ?? 'Bank IdP', homepage_uri: issuer },
      openid_relying_party: {
        client_id: issuer,
        client_registration_types: ['automatic'],
        application_type: 'web',
        client_name: s.config.brand?.name ?? 'Bank IdP',
        redirect_uris: [`${issuer}${CALLBACK_PATH}`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        jwks: { keys: [core.publicJwk, encryption.publicJwk] },
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
        request_object_signing_alg: 'RS256',
        id_token_signed_response_alg: 'RS256',
        userinfo_signed_response_alg: 'RS256',
        userinfo_encrypted_response_alg: 'RSA-OAEP-256',
        userinfo_encrypted_response_enc: 'A256GCM',
        default_acr_values: [SPID_LEVELS[1]],
      },
    },
  }, federation, 24 * 3600);
}

export interface TrustedOp {
  upstream: Upstream;
  metadata: Record<string, unknown>;
}

type Cached = { ok: true; metadata: Record<string, unknown> } | { ok: false; reason: string };

/** One provider's verified metadata, from the cache or a fresh chain (audited when it fails). */
export async function trustedOp(s: Services, upstream: Upstream): Promise<TrustedOp | undefined> {
  const key = spidKeys.chain(upstream.entityId);
  const hit = await s.redis.get(key);
  let entry: Cached | undefined;
  try {
    entry = hit ? (JSON.parse(hit) as Cached) : undefined;
  } catch {
    entry = undefined;
  }
  if (!entry) {
    const anchor = trustAnchorOf(s.config);
    const settings = spidSettings.of(s.config);
    try {
      if (!anchor) throw new TrustError('no trust anchor configured (SPID_TRUST_ANCHOR)');
      const chain = await resolveChain(upstream.entityId, 'openid_provider', { id: anchor, jwks: settings.trustAnchorJwks as never }, settings.timeoutMs);
      if (chain.metadata.issuer !== upstream.entityId) throw new TrustError(`issuer ${String(chain.metadata.issuer)} is not the entity id`);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
        if (typeof chain.metadata[k] !== 'string') throw new TrustError(`openid_provider metadata lacks ${k}`);
      }
      entry = { ok: true, metadata: chain.metadata };
      const ttl = Math.floor(chain.exp - Date.now() / 1000);
      if (ttl > 0) await s.redis.set(key, JSON.stringify(entry), 'EX', ttl);
    } catch (err) {
      if (!(err instanceof TrustError)) throw err;
      entry = { ok: false, reason: err.message };
      await s.redis.set(key, JSON.stringify(entry), 'EX', FAILED_TTL);
      await s.audit.record({ event: 'spid.trust', outcome: 'failure', subject: upstream.entityId, reason: err.message.slice(0, 300) });
      s.log.warn({ provider: upstream.entityId, reason: err.message }, 'SPID provider not offered: its trust chain does not verify');
    }
  }
  return entry.ok ? { upstream, metadata: entry.metadata } : undefined;
}

/** The providers whose chains verify, in the configured order. */
export async function offeredOps(s: Services): Promise<TrustedOp[]> {
  const all = await Promise.all(upstreams(s.config).map((u) => trustedOp(s, u)));
  return all.filter((x): x is TrustedOp => !!x);
}
