// Consent for clients that are not first-party (first-party ones get their grant implied, see
// loadExistingGrant in src/provider.ts). Shows what the client asks and records the grant.
import { z } from 'zod';
import { defineStep } from '../../src/flow/step.ts';

const form = z.object({ csrf: z.string() });

export const consentStep = defineStep({
  id: 'consent',
  kind: 'prompt',
  prompt: 'consent',
  amr: [],
  requiresUser: false,
  form,
  async render(ctx) {
    const d = ctx.details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    return {
      view: 'interactions/consent/page',
      data: {
        client: (ctx.client.client_name as string | undefined) ?? ctx.clientId,
        scopes: (d.missingOIDCScope ?? []).filter((s) => s !== 'openid'),
        claims: d.missingOIDCClaims ?? [],
      },
    };
  },
  async action(ctx) {
    const { details, provider } = ctx;
    const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session!.accountId, clientId: ctx.clientId });
    if (!grant) return { type: 'failure', page: { ...(await this.render(ctx)), error: 'error.session_not_found' } };
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await ctx.audit({ event: 'consent', outcome: 'success', subject: details.session?.accountId });
    return { type: 'success', outcome: { grantId } };
  },
});
