// Accounts and clients the tests log in with. Redirect URIs point at a closed loopback port: the
// test's browser stops at the redirect and hands the URL to the relying party.
export const CALLBACK = 'http://127.0.0.1:9/cb';
export const LOGGED_OUT = 'http://127.0.0.1:9/bye';

export const TEST_DATA = {
  clients: [
    {
      client_id: 'rp', client_secret: 'rp-secret-0123456789', redirect_uris: [CALLBACK],
      post_logout_redirect_uris: [LOGGED_OUT], grant_types: ['authorization_code', 'refresh_token'],
      first_party: true,
    },
    { client_id: 'third', client_secret: 'third-secret-0123456789', client_name: 'Third Party', redirect_uris: [CALLBACK] },
  ],
  citizens: [
    { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123', must_change: false, given_name: 'Mario', family_name: 'Rossi', email: 'mario.rossi@example.org' },
    { fiscal_code: 'VRDGPP80A01H501U', password: 'Primo-Accesso-1', must_change: true, given_name: 'Giuseppe', family_name: 'Verdi' },
  ],
  companies: [
    {
      code: '12345678', name: 'ACME S.p.A.', activation_password: 'PIPPO138', admin_password: '0123456789',
      accounts: [{ number: '0000012345', functions: ['balance', 'payments'] }],
      operators: [{ code: 'MARIO', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false }],
    },
  ],
};

export const MARIO = { fiscal_code: 'RSSMRA85T10A562S', password: 'Secret-123' };
export const VERDI = { fiscal_code: 'VRDGPP80A01H501U', password: 'Primo-Accesso-1' };
export const OPERATOR = { company_code: '12345678', operator_code: 'MARIO', password: 'Op3rat0r' };
