// Companies, clients and certificate helpers for the client-certificate tests.
import * as oidc from 'openid-client';
import { CertError, certificatesOf, subjectFor, type CertRecord } from '../../interactions/certificate/certificates.ts';
import { issueFromCsr } from '../../interactions/certificate/issuance.ts';
import type { TestIdp } from './idp.ts';
import { CALLBACK, TEST_DATA } from './data.ts';
import { makeCsr, rsaKey, tlsFetch, type KeyPair } from './certificate.ts';

export const ACME = '12345678';
export const BETA = '87654321';
export const MARIO_OP = { company_code: ACME, operator_code: 'MARIO', password: 'Op3rat0r' };
export const LUIGI_OP = { company_code: ACME, operator_code: 'LUIGI', password: 'Lu1g1Op' };
export const ADMIN_PASSWORD = '0123456789';

export const CERT_DATA = {
  clients: [
    ...TEST_DATA.clients,
  ],
  citizens: TEST_DATA.citizens,
  companies: [
    {
      code: ACME, name: 'ACME S.p.A.', activation_password: 'PIPPO138', admin_password: ADMIN_PASSWORD,
      accounts: [{ number: '0000012345', functions: ['balance', 'payments'] }],
      operators: [
        { code: 'MARIO', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false },
        { code: 'LUIGI', password: 'Lu1g1Op', dispositive_password: 'Disp0s2', must_change: false },
      ],
    },
    {
      code: BETA, name: 'Beta S.r.l.', activation_password: 'BETA2024', admin_password: '9876543210',
      accounts: [{ number: '0000099999', functions: ['balance'] }],
      operators: [{ code: 'MARIO', password: 'B3taMario', must_change: false }],
    },
  ],
};

export const LOA3 = 'urn:idp:loa:3';

export interface Issued { record: CertRecord; key: KeyPair; certPem: string; keyPem: string }

/** A certificate for an account, through the same CSR path as the activation page. */
export async function issueFor(t: TestIdp, accountId: string, key = rsaKey()): Promise<Issued> {
  const s = t.idp.services;
  const holder = await s.accounts.findById(accountId);
  if (!holder) throw new CertError('no such account');
  const identifier = await certificatesOf(s).nextIdentifier(holder);
  const record = await issueFromCsr(s, { holder, identifier, csr: makeCsr(key, subjectFor(holder, identifier)), actor: 'test' });
  return { record, key, certPem: record.pem, keyPem: key.keyPem };
}

/** openid-client over TLS (self-signed test servers), optionally presenting a client certificate. */
export async function tlsRelyingParty(issuer: string, clientId = 'rp', secret: string | undefined = 'rp-secret-0123456789', tls: { key?: string; cert?: string } = {}, auth?: oidc.ClientAuth) {
  const fetcher = tlsFetch(tls) as unknown as oidc.CustomFetch;
  const rp = await oidc.discovery(new URL(issuer), clientId, secret, auth ?? (secret ? oidc.ClientSecretPost(secret) : oidc.None()), { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: fetcher });
  rp[oidc.customFetch] = fetcher;
  return rp;
}

export { CALLBACK };
