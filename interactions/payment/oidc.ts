// Rich Authorization Requests (RFC 9396) for payments, through oidc-provider's
// richAuthorizationRequests feature (resourceIndicators stays on, as it needs). The types are
// validated here (bad details: invalid_authorization_details to the client, nothing stored); which
// types a client may ask for is its `authorization_details_types` metadata. The details reach a code
// only once the confirmation prompt (step `payment`) was answered for exactly these details; the
// access token carries the code's; a refresh carries none (each payment is authorised once).
// Pushed authorization requests stay on (oidc-provider's default), required per client with
// `require_pushed_authorization_requests`.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderExtension } from '../../src/methods/method.ts';
import type { Services } from '../../src/services.ts';
import { detailsDigest } from './codes.ts';
import { batchSchema, describeIssue, payment } from './details.ts';
import { paymentSettings } from './settings.ts';

/** Types whose authorisation is used once: not carried to a refreshed access token. */
const ONE_TIME = new Set(['payment_initiation', 'payment_initiation_batch']);

/** What the confirmation step records in the interaction result. */
export interface PaymentOutcome { digest: string }

export function confirmedDigest(ctx: KoaContextWithOIDC): string | undefined {
  return (ctx.oidc.result as { payment?: PaymentOutcome } | undefined)?.payment?.digest;
}

export function rawDetails(ctx: KoaContextWithOIDC): string | undefined {
  const raw = (ctx.oidc.params as Record<string, unknown> | undefined)?.authorization_details;
  return typeof raw === 'string' && raw ? raw : undefined;
}

// oidc-provider's error classes, loaded when first needed: importing the package prints its runtime
// warning, which must not come before the server's first log line (the method is loaded with the config).
const oidcErrors = async () => (await import('oidc-provider')).errors;

export const paymentProvider: ProviderExtension = {
  configure(configuration: Configuration, s: Services) {
    const settings = paymentSettings.of(s.config);
    const batch = batchSchema(settings.maxBatch);
    const validator = (schema: typeof payment | typeof batch) => ({
      async validate(ctx: KoaContextWithOIDC, detail: unknown) {
        const errors = await oidcErrors();
        if ((rawDetails(ctx)?.length ?? 0) > settings.maxDetailsBytes) throw new errors.InvalidAuthorizationDetails(`authorization_details larger than ${settings.maxDetailsBytes} bytes`);
        const r = schema.safeParse(detail);
        if (!r.success) throw new errors.InvalidAuthorizationDetails(`${(detail as { type?: string }).type}: ${describeIssue(r.error)}`);
      },
    });
    const resource = settings.resource ?? `${s.config.issuer}/payments`;
    configuration.features = {
      ...configuration.features,
      // RFC 9396 needs a resource: the payments API, the audience of tokens that carry details.
      resourceIndicators: {
        enabled: true,
        defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          return rawDetails(ctx) ? resource : undefined as unknown as string;
        },
        useGrantedResource: () => true,
        async getResourceServerInfo(_ctx, indicator) {
          if (indicator !== resource) throw new (await oidcErrors()).InvalidTarget();
          return { scope: '', audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: s.config.ttl.accessTokenSeconds };
        },
      },
      richAuthorizationRequests: {
        enabled: true,
        types: { payment_initiation: validator(payment), payment_initiation_batch: validator(batch) },
        // The code gets the details of this request once the user confirmed exactly them.
        authorizationDetailsForGrantSource(ctx) {
          const raw = rawDetails(ctx);
          if (!raw || confirmedDigest(ctx) !== detailsDigest(raw)) return undefined;
          return JSON.parse(raw) as never;
        },
        // Never more than the source holds; one-time types not beyond the code's exchange.
        authorizationDetailsForAccessToken(_ctx, _token, source, grantType) {
          const held = (source as { rar?: { type: string }[] } | undefined)?.rar ?? [];
          const kept = grantType === 'authorization_code' ? held : held.filter((d) => !ONE_TIME.has(d.type));
          return kept.length ? (kept as never) : undefined;
        },
        authorizationDetailsForIntrospection(_ctx, token) {
          return (token as { rar?: never[] }).rar;
        },
      },
    };
    // The confirmation step answers for the details; oidc-provider's consent check for them would
    // ask again after each confirmation (our interaction results are not merged).
    const policy = configuration.interactions?.policy as unknown as { get(name: string): { checks: { remove(reason: string): void } } | undefined } | undefined;
    policy?.get('consent')?.checks.remove('rar_prompt');
  },
};
