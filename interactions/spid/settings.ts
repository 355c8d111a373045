// "Enter with SPID" settings (config methods.spid): the upstream SPID identity providers, the trust
// anchor, just-in-time citizens, and the bundled stand-in SPID identity provider.
import { z } from 'zod';
import { bool, defineSettings, int, json, str } from '../../src/settings.ts';

const provider = z.object({
  /** The value of the chooser's `idp` field. */
  id: z.string().regex(/^[a-z0-9-]{1,32}$/),
  /** The provider's entity id (its issuer): its configuration is at <entityId>/.well-known/openid-federation. */
  entityId: z.url(),
  name: z.string().min(1).max(60),
});

export const spidSettings = defineSettings({
  id: 'spid',
  schema: z.object({
    providers: z.array(provider).max(50),
    trustAnchor: z.url().optional(),
    trustAnchorJwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    jit: z.boolean(),
    plainUserinfo: z.boolean(),
    stub: z.boolean().optional(),
    stubUrl: z.url(),
    timeoutMs: z.number().int().min(100).max(60_000),
  }),
  defaults: { providers: [], jit: false, plainUserinfo: false, stubUrl: 'http://127.0.0.1:3001', timeoutMs: 5000 },
  env: [
    { env: 'SPID_PROVIDERS', path: 'providers', parse: json, doc: 'the SPID identity providers offered by "Enter with SPID", as JSON: [{"id": "poste", "entityId": "https://...", "name": "Poste ID"}] (default: the stand-in alone when SPID_STUB is on, else none: SPID is then not offered)' },
    { env: 'SPID_TRUST_ANCHOR', path: 'trustAnchor', parse: str, doc: 'entity id of the federation\'s trust anchor every provider\'s trust chain must end at (default: the stand-in\'s anchor, SPID_STUB_URL/anchor, when SPID_STUB is on)' },
    { env: 'SPID_TRUST_ANCHOR_JWKS', path: 'trustAnchorJwks', parse: json, doc: 'the trust anchor\'s federation public keys (JWKS JSON); unset: those of its own entity configuration (required in production)' },
    { env: 'SPID_JIT', path: 'jit', parse: bool, doc: 'create the citizen on the first SPID login of a fiscal number we do not know (default off: such a login is refused with a page that says so)' },
    { env: 'SPID_USERINFO_PLAIN', path: 'plainUserinfo', parse: bool, doc: 'accept a plain JSON userinfo answer from the providers instead of a signed JWT (the stand-in only; default off)' },
    { env: 'SPID_STUB', path: 'stub', parse: bool, doc: 'use the bundled stand-in SPID identity provider (and its trust anchor) at SPID_STUB_URL; npm start runs it beside the IdP (default: on with the demo, off otherwise and always in production unless set)' },
    { env: 'SPID_STUB_URL', path: 'stubUrl', parse: str, doc: 'where the stand-in SPID identity provider listens; its issuer (default http://127.0.0.1:3001; npm run spid-stub reads it too)' },
    { env: 'SPID_TIMEOUT_MS', path: 'timeoutMs', parse: int, doc: 'how long a request to a SPID provider or the trust anchor may take (default 5000)' },
  ],
});

export type SpidSettings = z.infer<typeof spidSettings.schema>;

export interface Upstream { id: string; entityId: string; name: string }

/** True when the stand-in is in use: set, or unset with the demo on. */
export function stubOn(config: { demo: boolean; methods: Record<string, unknown> }): boolean {
  return spidSettings.of(config).stub ?? config.demo;
}

/** The providers offered, the stand-in's when none are configured and it is on. */
export function upstreams(config: { demo: boolean; methods: Record<string, unknown> }): Upstream[] {
  const s = spidSettings.of(config);
  if (s.providers.length) return s.providers;
  return stubOn(config) ? [{ id: 'stub', entityId: s.stubUrl.replace(/\/$/, ''), name: 'SPID Test IdP' }] : [];
}

export function trustAnchorOf(config: { demo: boolean; methods: Record<string, unknown> }): string | undefined {
  const s = spidSettings.of(config);
  return s.trustAnchor ?? (stubOn(config) ? `${s.stubUrl.replace(/\/$/, '')}/anchor` : undefined);
}
