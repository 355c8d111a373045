// "Enter with SPID" end to end: openid-client as our relying party, our IdP as the SPID broker, the
// stand-in SPID identity provider in its own process, and back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { authorizationUrl, exchange, relyingParty } from '../helpers/rp.ts';
import { startSpidStub, throughStandIn, type SpidStub } from '../helpers/spid.ts';

const L1 = 'https://www.spid.gov.it/SpidL1';
const L2 = 'https://www.spid.gov.it/SpidL2';
const FISCAL = 'https://attributes.eid.gov.it/fiscal_number';

let stub: SpidStub;
let t: TestIdp;
beforeAll(async () => {
  stub = await startSpidStub();
  t = await startIdp({ env: { SPID_STUB: '1', SPID_STUB_URL: stub.url } });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await stub?.stop();
});

async function spidLogin(params: Record<string, string>, choice: Parameters<typeof throughStandIn>[3] = {}) {
  const rp = await relyingParty(t.issuer);
  const browser = new Browser(t.issuer);
  const started = await authorizationUrl(rp, params);
  const chooser = await browser.go(started.url);
  const { stubPage, back } = await throughStandIn(browser, stub.url, chooser, choice);
  return { rp, browser, started, chooser, stubPage, back };
}

describe('Enter with SPID', () => {
  it('a client asking SpidL2 gets the chooser, the stand-in, and an ID token at SpidL2 with amr fed and the fiscal code', async () => {
    const { rp, chooser, stubPage, back, started } = await spidLogin({ acr_values: L2, scope: 'openid spid fiscal_code' }, { level: 'SpidL2' });
    expect(chooser.status).toBe(200);
    expect(chooser.doc.querySelectorAll('button[name=idp]').map((b) => b.getAttribute('value'))).toEqual(['stub']);
    expect(stubPage.html).toContain('SpidL2');
    expect(back.left, back.alert).toBeDefined();
    const tokens = await exchange(rp, started, back.left!);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(L2);
    expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'pwd', 'otp']));
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ fiscal_code: 'RSSMRA85T10A562S', [FISCAL]: 'TINIT-RSSMRA85T10A562S', given_name: 'Mario', family_name: 'Rossi' });
    expect(String(info['https://attributes.eid.gov.it/spid_code'])).toMatch(/^STUB/);
  });

  it('lists the SPID levels in discovery', async () => {
    const rp = await relyingParty(t.issuer);
    expect(rp.serverMetadata().acr_values_supported).toEqual(expect.arrayContaining([L1, L2, 'https://www.spid.gov.it/SpidL3', 'urn:idp:loa:1']));
  });

  it('refuses a SpidL1 answer when SpidL2 was asked', async () => {
    const { back } = await spidLogin({ acr_values: L2 }, { outcome: 'lower' });
    expect(back.left).toBeUndefined();
    expect(back.status).toBe(400);
    expect(back.alert).toMatch(/lower SPID security level/);
  });
});
