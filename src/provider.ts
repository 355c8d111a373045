// oidc-provider set up for this IdP: Redis adapter, our accounts and claims, our interaction pages,
// the step-up check, first-party clients without consent, and pages in our own look.
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Account } from './accounts/accounts.ts';
import { redisAdapterFactory } from './store/oidc-adapter.ts';
import { essentialAcrs } from './flow/acr-request.ts';
import type { PromptDef, ProviderExtension } from './methods/method.ts';
import { chooseLocale } from './http/i18n.ts';
import { isStoreUnavailable } from './store/redis.ts';
import type { Services } from './services.ts';
import type { ServerKeys } from './server-keys.ts';
import { treasuryClaims } from './companies/companies.ts';
import { TOKEN_POLICY_METADATA, tokenPolicy, validateTokenPolicyMetadata } from './token-policy.ts';
import { markStoreError } from './http/oauth-endpoints.ts';
import { clientMetadata } from './client-metadata.ts';

export const CLAIMS: Record<string, string[]> = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'given_name', 'family_name'],
  email: ['email'],
  phone: ['phone_number'],
  fiscal_code: ['fiscal_code'],
  treasury: ['company_code', 'company_name', 'operator_code', 'role', 'accounts', 'functions'],
};

function claimsOf(a: Account): Record<string, unknown> {
  const name = [a.givenName, a.familyName].filter(Boolean).join(' ') || undefined;
  return {
    sub: a.sub,
    name: name ?? a.companyName,
    given_name: a.givenName,
    family_name: a.familyName,
    email: a.email,
    phone_number: a.phone,
    fiscal_code: a.fiscalCode,
    company_code: a.companyCode,
    company_name: a.companyName,
    operator_code: a.operatorCode,
    role: a.type === 'citizen' ? undefined : a.type,
  };
}

export function createProvider(s: Services, serverKeys: ServerKeys, prompts: PromptDef[] = [], extensions: ProviderExtension[] = []): Provider {
  const { config } = s;
  const policy = interactionPolicy.base();
  // oidc-provider passes acr_values through; this check asks for a new login when the session's
  // level is below the one this request needs (step-up).
  policy.get('login')!.checks.add(new interactionPolicy.Check(
    'acr_step_up',
    'the requested authentication level is above the session\'s',
    (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const params = oidc.params as Record<string, unknown>;
      const needs = s.policy.needsStepUp(oidc.session.acr, {
        acrValues: params.acr_values as string | undefined,
        essential: essentialAcrs(oidc.claims),
        clientDefaults: oidc.client?.defaultAcrValues,
      });
      return needs ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  ));

  // Prompts the methods bring (e.g. a confirmation), after login and consent; a step answers each.
  for (const p of prompts) {
    policy.add(new interactionPolicy.Prompt({ name: p.name, requestable: false }, new interactionPolicy.Check(
      `${p.name}_required`, p.description,
      async (ctx: KoaContextWithOIDC) => ((await p.check(ctx)) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT),
    )));
  }

  const page = (ctx: KoaContextWithOIDC, view: string, data: Record<string, unknown>) => {
    const locale = chooseLocale(undefined, ctx.get('accept-language'));
    ctx.type = 'html';
    ctx.body = s.views.render(view, locale, data);
  };

  const tokens = tokenPolicy(config);
  const configuration: Configuration = {
    adapter: redisAdapterFactory(s.redis),
    jwks: serverKeys.jwks as Configuration['jwks'],
    cookies: { keys: serverKeys.cookieKeys },
    acrValues: s.policy.supported(),
    claims: CLAIMS,
    scopes: ['openid', 'offline_access', ...Object.keys(CLAIMS).filter((k) => k !== 'openid')],
    responseTypes: ['code'],
    clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: config.idTokenAlg },
    async findAccount(_ctx, sub) {
      const account = await s.accounts.findBySub(sub);
      if (!account || account.disabled) return undefined;
      return {
        accountId: sub,
        async claims(_use, scope, requested) {
          // The operator's accounts and functions cost two reads: only when they are asked for.
          const asked = scope.split(' ').includes('treasury') || ['accounts', 'functions'].some((c) => c in (requested ?? {}));
          return { ...claimsOf(account), ...(asked ? await treasuryClaims(s, account) : {}) } as { sub: string };
        },
      };
    },
    extraClientMetadata: {
      properties: ['first_party', 'accepted_methods', 'accept_lower_acr', ...TOKEN_POLICY_METADATA],
      validator(_ctx, key, value) {
        validateTokenPolicyMetadata(key, value);
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') throw new Error('first_party must be a boolean');
        if (key === 'accept_lower_acr' && value !== undefined && typeof value !== 'boolean') throw new Error('accept_lower_acr must be a boolean');
        if (key === 'accepted_methods' && value !== undefined && (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))) {
          throw new Error('accepted_methods must be an array of strings');
        }
        // The second factors this client accepts, by step id: only installed ones, at least one.
        const known = s.steps.ofSlot('second-factor').map((step) => step.id);
        if (key === 'accepted_methods' && Array.isArray(value) && (!value.length || value.some((v) => !known.includes(v as string)))) {
          throw new Error(`accepted_methods must list one or more of: ${known.join(', ')}`);
        }
      },
    },
    // First-party clients are ours: their grant is implied, no consent page.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId);
      if (grantId) {
        const grant = await oidc.provider.Grant.find(grantId);
        if (grant) return grant;
      }
      if (clientMetadata(oidc.client!).first_party !== true) return undefined;
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope([...(oidc.client!.scope?.split(' ') ?? []), ...Object.keys(configuration.claims ?? CLAIMS), 'offline_access'].join(' '));
      if (oidc.params?.claims) {
        const claims = JSON.parse(String(oidc.params.claims)) as { id_token?: object; userinfo?: object };
        grant.addOIDCClaims([...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})]);
      }
      await grant.save();
      return grant;
    },
    async issueRefreshToken(_ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.scopes.has('offline_access') || clientMetadata(client).first_party === true;
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      revocation: tokens.revocation,
      introspection: tokens.introspection,
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          page(ctx as KoaContextWithOIDC, 'views/logout', { form, client: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          page(ctx as KoaContextWithOIDC, 'views/logout-done', { client: ctx.oidc.client?.clientName });
        },
      },
    },
    pkce: tokens.pkce,
    rotateRefreshToken: tokens.rotateRefreshToken,
    revokeGrantPolicy: tokens.revokeGrantPolicy,
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      Interaction: config.ttl.interactionSeconds,
      Session: config.ttl.sessionSeconds,
      Grant: Math.max(config.ttl.sessionSeconds, config.ttl.refreshTokenSeconds),
      IdToken: config.ttl.idTokenSeconds,
      AccessToken: config.ttl.accessTokenSeconds,
      RefreshToken: config.ttl.refreshTokenSeconds,
      AuthorizationCode: 60,
    },
    async renderError(ctx, out, error) {
      if (isStoreUnavailable(error)) {
        ctx.status = 503;
        page(ctx, 'views/message', { title: 'error.unavailable.title', error: s.views.strings.t(chooseLocale(undefined, ctx.get('accept-language')), 'error.unavailable') });
        return;
      }
      page(ctx, 'views/oidc-error', { out });
    },
  };

  // The methods' additions (e.g. client certificates: mTLS client authentication, bound tokens).
  for (const e of extensions) e.configure?.(configuration, s);
  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy > 0;
  provider.maxIpsCount = config.trustProxy;
  provider.on('server_error', (ctx, err) => {
    markStoreError(ctx, err);
    s.log.error({ err }, 'oidc-provider server error');
  });
  return provider;
}
