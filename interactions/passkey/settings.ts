// The passkeys' settings (config methods.passkey).
import { z } from 'zod';
import { defineSettings, int, list, str } from '../../src/settings.ts';

const aaguid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'an AAGUID, e.g. 01020304-0506-0708-0102-030405060708' });

export const passkeySettings = defineSettings({
  id: 'passkey',
  schema: z.object({
    // The WebAuthn relying party: its id (a domain: the issuer's host or a suffix of it) and the
    // origins the browser may report (empty: the issuer's own).
    rpId: z.string().max(253).regex(/^$|^[a-z0-9.-]+$/, { error: 'a domain name, e.g. login.bank.example' }),
    rpName: z.string().min(1).max(64),
    origins: z.array(z.url()),
    // The level a passwordless sign-in reaches ('' or 'off': no passwordless sign-in).
    passwordlessAcr: z.string().max(200),
    attestation: z.enum(['none', 'direct']),
    // attestation 'direct': the authenticator models (AAGUIDs) accepted at registration, and
    // optionally a PEM file of the roots their attestation certificates must chain to.
    authenticators: z.array(aaguid),
    attestationRoots: z.string().max(4096),
    maxFailures: z.number().int().min(1).max(100),
    challengeSeconds: z.number().int().min(30).max(600),
    maxPerUser: z.number().int().min(1).max(50),
  }).refine((s) => s.attestation === 'none' || s.authenticators.length > 0, { error: 'attestation direct needs the list of accepted authenticators (PASSKEY_AUTHENTICATORS)', path: ['authenticators'] }),
  defaults: {
    rpId: '', rpName: 'Bank IdP', origins: [], passwordlessAcr: 'urn:idp:loa:2', attestation: 'none',
    authenticators: [], attestationRoots: '', maxFailures: 7, challengeSeconds: 120, maxPerUser: 10,
  },
  env: [
    { env: 'PASSKEY_RP_ID', path: 'rpId', parse: str, doc: 'WebAuthn relying-party id: a domain, the issuer\'s host or a suffix of it (default: the host of ISSUER; passkeys are not offered when that is an IP address)' },
    { env: 'PASSKEY_RP_NAME', path: 'rpName', parse: str, doc: 'name the browser shows when a passkey is created (default Bank IdP)' },
    { env: 'PASSKEY_ORIGINS', path: 'origins', parse: list, doc: 'origins accepted in passkey answers, comma-separated (default: the origin of ISSUER)' },
    { env: 'PASSKEY_PASSWORDLESS_ACR', path: 'passwordlessAcr', parse: str, doc: 'level a passwordless passkey sign-in reaches; offered on the identify page of logins up to it (default urn:idp:loa:2; off: none)' },
    { env: 'PASSKEY_ATTESTATION', path: 'attestation', parse: str, doc: 'none (default: any authenticator) or direct (only the models in PASSKEY_AUTHENTICATORS, proven by their attestation)' },
    { env: 'PASSKEY_AUTHENTICATORS', path: 'authenticators', parse: list, doc: 'with PASSKEY_ATTESTATION=direct: the accepted authenticator models, as comma-separated AAGUIDs' },
    { env: 'PASSKEY_ATTESTATION_ROOTS', path: 'attestationRoots', parse: str, doc: 'with PASSKEY_ATTESTATION=direct: a PEM file of the root certificates the attestation must chain to (unset: the certificate chain is not checked, only the statement\'s signature)' },
    { env: 'PASSKEY_MAX_FAILURES', path: 'maxFailures', parse: int, doc: 'consecutive refused passkey answers that lock the user\'s passkeys (default 7)' },
    { env: 'PASSKEY_CHALLENGE_TTL', path: 'challengeSeconds', parse: int, doc: 'seconds a passkey challenge is valid; each is used once (default 120)' },
    { env: 'PASSKEY_MAX_PER_USER', path: 'maxPerUser', parse: int, doc: 'passkeys one user may register (default 10)' },
  ],
});
