// Who may learn about or use which token: introspection only by the owning client or a configured
// resource server (others are told `active: false`), revocation only by the owning client, refresh
// tokens rotated for every client (a reused one revokes the grant: oidc-provider's reuse detection),
// and PKCE required of every client unless its metadata says `"pkce_required": false` (a legacy RP).
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from './config.ts';
import { clientMetadata } from './client-metadata.ts';

type Features = NonNullable<Configuration['features']>;
interface HasClientId { clientId: string }

/** Client metadata this policy adds (validated by oidc-provider at import). */
export const TOKEN_POLICY_METADATA = ['pkce_required'];

export function validateTokenPolicyMetadata(key: string, value: unknown): void {
  if (key === 'pkce_required' && value !== undefined && typeof value !== 'boolean') throw new Error('pkce_required must be a boolean');
}

export function introspectionAllowed(config: Pick<Config, 'introspectionClients'>) {
  return async (_ctx: KoaContextWithOIDC, client: HasClientId, token: HasClientId): Promise<boolean> =>
    token.clientId === client.clientId || config.introspectionClients.includes(client.clientId);
}

export function tokenPolicy(config: Pick<Config, 'introspectionClients'>) {
  return {
    introspection: { enabled: true as const, allowedPolicy: introspectionAllowed(config) as never },
    revocation: {
      enabled: true as const,
      // Another client's token is left alone (the answer is the same 200, RFC 7009).
      allowedPolicy: (async (_ctx: KoaContextWithOIDC, client: HasClientId, token: HasClientId) => token.clientId === client.clientId) as never,
    },
    pkce: {
      required: (_ctx: KoaContextWithOIDC, client: { metadata(): unknown }) => clientMetadata(client).pkce_required !== false,
    },
    // Every refresh grant gets a new refresh token and consumes the old one; presenting a consumed
    // one again revokes the whole grant (oidc-provider's reuse detection), for public and
    // confidential clients alike.
    rotateRefreshToken: () => true,
    // Every revocation ends the whole grant: its tokens and the grant itself (oidc-provider's default
    // keeps the grant when an access token is revoked, ending only its tokens). oidc-provider looks
    // the grant up at every use of a token, so ending the grant ends every token issued under it,
    // and the store keeps no index of a grant's tokens (src/store/oidc-adapter.ts). A client that is
    // not first-party asks for consent again after a revocation.
    revokeGrantPolicy: () => true,
  } satisfies { introspection: Features['introspection']; revocation: Features['revocation']; pkce: Configuration['pkce']; rotateRefreshToken: Configuration['rotateRefreshToken']; revokeGrantPolicy: Configuration['revokeGrantPolicy'] };
}
