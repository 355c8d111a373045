// Companies, operators and back-office staff for the company tests; and the form posts an
// administration page makes (several forms a page, checkboxes with repeated names).
import { Browser, type Page } from './browser.ts';
import { TEST_DATA } from './data.ts';

export const ACME = '12345678';
export const BETA = '87654321';
export const STAFF = { fiscal_code: 'BNCLRA70A41H501B', password: 'Filiale-2024!' };
export const CITIZEN = { fiscal_code: 'NRELCU75B12F205D', password: 'Citizen-2024!' };

export const COMPANY_DATA = {
  clients: TEST_DATA.clients,
  citizens: [
    { fiscal_code: STAFF.fiscal_code, password: STAFF.password, must_change: false, given_name: 'Laura', family_name: 'Bianchi', roles: ['backoffice'] },
    { fiscal_code: CITIZEN.fiscal_code, password: CITIZEN.password, must_change: false, given_name: 'Luca', family_name: 'Neri' },
  ],
  companies: [
    {
      code: ACME, name: 'ACME S.p.A.', activation_password: 'PIPPO138', admin_password: '0123456789',
      accounts: [{ number: '0000012345', functions: ['balance', 'payments'] }, { number: '0000067890', functions: ['balance'] }],
      operators: [{ code: 'MARIO', password: 'Op3rat0r', dispositive_password: 'Disp0s1', must_change: false, accounts: ['0000012345'], functions: ['balance'] }],
    },
    {
      code: BETA, name: 'Beta S.r.l.', activation_password: 'BETA2024', admin_password: '9876543210',
      accounts: [{ number: '0000099999', functions: ['balance'] }],
      operators: [],
    },
  ],
};

/** Posts the form `selector` of a page (its hidden fields kept) with these fields; arrays repeat the name. */
export async function postForm(browser: Browser, page: Page, selector: string, fields: Record<string, string | string[]>): Promise<Page> {
  const form = page.doc.querySelector(selector);
  if (!form) throw new Error(`no form ${selector} on ${page.url} (${page.status}): ${page.alert ?? page.title ?? ''}`);
  const body = new URLSearchParams();
  for (const input of form.querySelectorAll('input[type=hidden]')) body.append(input.getAttribute('name')!, input.getAttribute('value') ?? '');
  for (const [k, v] of Object.entries(fields)) {
    body.delete(k);
    for (const one of [v].flat()) body.append(k, one);
  }
  const action = new URL(form.getAttribute('action') ?? page.url, page.url).href;
  return browser.go(action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

/** The csrf token of an account page's forms. */
export function csrfOf(page: Page): string {
  const v = page.doc.querySelector('input[name=csrf]')?.getAttribute('value');
  if (!v) throw new Error(`no csrf on ${page.url}`);
  return v;
}

/** Posts straight to a URL with the given csrf (what a forged or cross-company request looks like). */
export async function postTo(browser: Browser, url: string, fields: Record<string, string | string[]>): Promise<Page> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
  return browser.go(url, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}
