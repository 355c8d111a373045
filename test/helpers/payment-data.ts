// Test data for payment confirmations: clients allowed the payment types (one that must push its
// requests), an operator and a citizen with a registered secure channel, and the details.
import * as oidc from 'openid-client';
import { CALLBACK, TEST_DATA } from './data.ts';

export const OPERATOR_PHONE = '+393330000077';

export const PAYMENT_DATA = {
  clients: [
    ...TEST_DATA.clients,
    {
      client_id: 'treasury', client_secret: 'treasury-secret-0123456789', client_name: 'Tesoreria', redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'], first_party: true,
      authorization_details_types: ['payment_initiation', 'payment_initiation_batch'],
    },
    {
      client_id: 'treasury-par', client_secret: 'treasury-par-secret-0123456789', redirect_uris: [CALLBACK], first_party: true,
      authorization_details_types: ['payment_initiation'], require_pushed_authorization_requests: true,
    },
    {
      client_id: 'treasury-card', client_secret: 'treasury-card-secret-0123456789', redirect_uris: [CALLBACK], first_party: true,
      authorization_details_types: ['payment_initiation'], accepted_methods: ['card'],
    },
  ],
  citizens: [
    { ...TEST_DATA.citizens[0]!, secure_channel: 'email' },
    TEST_DATA.citizens[1]!,
  ],
  companies: [{
    ...TEST_DATA.companies[0]!,
    operators: [
      { code: 'MARIO', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false, phone: OPERATOR_PHONE, secure_channel: 'sms' },
      { code: 'NOCHAN', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false },
    ],
  }],
};

export const PAYEE_IBAN = 'IT60X0542811101000000123456';

export function paymentDetail(amount = '1234.50', creditorName = 'Fornitore S.r.l.') {
  return {
    type: 'payment_initiation',
    instructedAmount: { currency: 'EUR', amount },
    creditorName,
    creditorAccount: { iban: PAYEE_IBAN },
    remittanceInformationUnstructured: 'Fattura 2026/118',
  };
}

export const details = (...d: unknown[]) => ({ authorization_details: JSON.stringify(d) });

export async function rpFor(issuer: string, clientId: 'treasury' | 'treasury-par' | 'treasury-card' | 'rp'): Promise<oidc.Configuration> {
  const secret = { treasury: 'treasury-secret-0123456789', 'treasury-par': 'treasury-par-secret-0123456789', 'treasury-card': 'treasury-card-secret-0123456789', rp: 'rp-secret-0123456789' }[clientId];
  return oidc.discovery(new URL(issuer), clientId, secret, oidc.ClientSecretPost(secret), { execute: [oidc.allowInsecureRequests] });
}
