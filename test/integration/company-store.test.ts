// The company records under concurrency and re-import: changes made at the same time do not lose
// one another, and a re-import adds what is new without undoing the administrator's choices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImport, parseImport } from '../../src/provisioning/import.ts';
import { Companies } from '../../src/companies/companies.ts';
import { addAccount } from '../../src/companies/branch-actions.ts';
import { setAccountFunctions, setOperatorGrants } from '../../src/companies/admin-actions.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { ACME, BETA, COMPANY_DATA } from '../helpers/company-data.ts';

let t: TestIdp;
beforeAll(async () => { t = await startIdp({ data: COMPANY_DATA }); });
afterAll(async () => t?.close());

const actor = { id: 'test' };

describe('company records', () => {
  it('keep every one of 20 telematic accounts added at once', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => `10000000${String(i).padStart(2, '0')}`);
    await Promise.all(numbers.map((n) => addAccount(t.idp.services, BETA, n, actor)));
    const company = await new Companies(t.idp.services).get(BETA);
    expect(company!.accounts.map((a) => a.number).sort()).toEqual(['0000099999', ...numbers].sort());
  });

  it('keep both of two accounts\' functions changed at once', async () => {
    const s = t.idp.services;
    await Promise.all([
      setAccountFunctions(s, ACME, '0000012345', ['balance', 'payments', 'f24'], actor),
      setAccountFunctions(s, ACME, '0000067890', ['statements'], actor),
    ]);
    const company = await new Companies(s).get(ACME);
    expect(company!.accounts).toEqual([
      { number: '0000012345', functions: ['balance', 'payments', 'f24'] },
      { number: '0000067890', functions: ['statements'] },
    ]);
  });

  it('survive a re-import: new accounts are added, the administrator\'s functions and grants stay', async () => {
    const s = t.idp.services;
    await setOperatorGrants(s, ACME, 'MARIO', { accounts: ['0000067890'], functions: ['statements'] }, actor);
    const data = structuredClone(COMPANY_DATA);
    data.companies[0]!.accounts.push({ number: '0000077777', functions: ['balance'] });
    await applyImport(parseImport(JSON.stringify(data), 'again', s), s, t.idp.provider);
    const company = await new Companies(s).get(ACME);
    expect(company!.accounts).toEqual([
      { number: '0000012345', functions: ['balance', 'payments', 'f24'] },
      { number: '0000067890', functions: ['statements'] },
      { number: '0000077777', functions: ['balance'] },
    ]);
    expect(await new Companies(s).grants(`O.${ACME}.MARIO`)).toEqual({ accounts: ['0000067890'], functions: ['statements'] });
    expect((await new Companies(s).list()).map((c) => c.code)).toEqual([ACME, BETA]);
  });

  it('refuse an import whose operator names an account the company does not have', () => {
    const data = structuredClone(COMPANY_DATA);
    data.companies[0]!.operators[0]!.accounts = ['0000000001'];
    expect(() => parseImport(JSON.stringify(data, null, 2), 'bad.json', t.idp.services))
      .toThrow(/bad\.json:\d+: companies\[0\]\.operators\[0\]\.accounts\[0\]: 0000000001 is not one of the company's accounts/);
  });
});
