// Contact change, channel reset, member-code recovery, forgotten password and the back office's
// review (pages and CLI), with identity documents encrypted at rest and deleted after retention.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, DAY_MS } from '../../src/clock.ts';
import { runCli } from '../../src/cli/main.ts';
import { Browser, formFields, type Page } from '../helpers/browser.ts';
import { startIdp, type TestIdp } from '../helpers/idp.ts';
import { enterCredentials, login, relyingParty } from '../helpers/rp.ts';
import { awaitMessage, BRUNO, GIANNI, LUCA, MEMBER_DATA, PAOLA, readOutbox, tempDir } from '../helpers/member-data.ts';
import { FILES, submitUpload } from '../helpers/upload.ts';

let t: TestIdp;
let clock: ManualClock;
let outbox: string;
let docs: string;
const MAX = 64 * 1024;

beforeAll(async () => {
  // Starts at the real time: the CLI commands below run on the system clock.
  clock = new ManualClock();
  const dir = tempDir('requests');
  outbox = path.join(dir, 'outbox.jsonl');
  docs = path.join(dir, 'documents');
  t = await startIdp({ data: MEMBER_DATA, overrides: { delivery: { outboxFile: outbox }, documents: { dir: docs, maxBytes: MAX, retentionDays: 90 } }, options: { clock } });
});
afterAll(async () => t?.close());

const storedDocuments = () => { try { return readdirSync(docs); } catch { return []; } };
const cli = (...argv: string[]) => runCli(argv, t.config, t.idp.store);

/** Signs a member in to the account area, postponing the channel registration if asked. */
async function accountSession(who: { fiscal_code: string; password: string }, target = '/account'): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(t.issuer);
  let page = await enterCredentials(browser, await browser.go(`${t.url}${target}`), who);
  if (page.doc.querySelector('button[name=later]') && !formFields(page).includes('otp')) page = await browser.submit(page, { later: '1' });
  if (page.title === 'Notice') page = await browser.submit(page, {});
  if (formFields(page).includes('otp')) page = await browser.submit(page, { otp: (await awaitMessage(outbox, LUCA.email)).code! });
  return { browser, page };
}

describe('contact change', () => {
  let browser: Browser;
  let form: Page;
  beforeAll(async () => {
    const s = await accountSession(GIANNI);
    browser = s.browser;
    expect(s.page.html).toContain('/account/contact');
    form = await browser.go(`${t.url}/account/contact`);
    expect(form.status).toBe(200);
  });
  const phone = '+393471112233';

  it('refuses an oversized document, a wrong type and a renamed executable, and stores nothing', async () => {
    const big = { ...FILES.png, data: Buffer.concat([FILES.png.data, Buffer.alloc(MAX)]) };
    const fields = { channel: 'sms', contact: phone, contact_confirm: phone };
    const tooBig = await submitUpload(browser, form, fields, big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.alert).toMatch(/larger than allowed/);
    for (const file of [FILES.text, FILES.exe, FILES.elf]) {
      const refused = await submitUpload(browser, form, fields, file);
      expect(refused.status).toBe(415);
      expect(refused.alert).toBe('The document must be a PDF, JPEG or PNG file.');
    }
    const none = await submitUpload(browser, form, fields);
    expect(none.status).toBe(400);
    expect(none.alert).toMatch(/Attach the scan/);
    expect(storedDocuments()).toEqual([]);
    expect(await cli('requests', 'list')).toBe('(no requests waiting)');
  });

  it('needs the new contact twice, the same, and well formed', async () => {
    expect((await submitUpload(browser, form, { channel: 'sms', contact: phone, contact_confirm: '+393471112234' }, FILES.png)).alert).toBe('The two contacts differ.');
    expect((await submitUpload(browser, form, { channel: 'sms', contact: '3471112233', contact_confirm: '3471112233' }, FILES.png)).status).toBe(400);
    expect((await submitUpload(browser, form, { channel: 'email', contact: 'nope@', contact_confirm: 'nope@' }, FILES.png)).alert).toBe('The email address is not valid.');
    const forged = await submitUpload(browser, form, { csrf: 'forged', channel: 'sms', contact: phone, contact_confirm: phone }, FILES.png);
    expect(forged.status).toBe(403);
    expect(storedDocuments()).toEqual([]);
  });

  it('records one pending request with the document encrypted at rest', async () => {
    const done = await submitUpload(browser, form, { channel: 'sms', contact: phone, contact_confirm: phone }, FILES.png);
    expect(done.status).toBe(202);
    expect(done.doc.querySelector('[role=status]')?.text).toMatch(/change request has been received/);
    const files = storedDocuments();
    expect(files).toHaveLength(1);
    const atRest = readFileSync(path.join(docs, files[0]!));
    expect(atRest.includes(FILES.png.data.subarray(0, 8))).toBe(false);
    expect(atRest.includes(Buffer.alloc(64, 7))).toBe(false);
    const again = await submitUpload(browser, form, { channel: 'email', contact: 'g@example.org', contact_confirm: 'g@example.org' }, FILES.pdf);
    expect(again.status).toBe(409);
    expect(storedDocuments()).toHaveLength(1);
    expect(await cli('requests', 'list')).toMatch(new RegExp(`contact-change  C.${GIANNI.fiscal_code}  pending .* sms:\\${phone}`));
  });

  it('is reviewed in the back office at loa:2: the reviewer sees the document, approves, the member is told and can register the new number', async () => {
    const { browser: bo, page: list } = await accountSession(LUCA, '/backoffice/requests');
    expect(list.url).toBe(`${t.issuer}/backoffice/requests`);
    const id = list.doc.querySelector('#pending li')!.getAttribute('data-request')!;
    const show = await bo.go(`${t.url}/backoffice/requests/${id}`);
    expect(show.doc.querySelector('#request-change')?.text).toBe(`SMS: ${phone}`);
    const doc = await bo.raw(`${t.url}/backoffice/requests/${id}/document`);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await doc.arrayBuffer()).equals(FILES.png.data)).toBe(true);

    // The member himself, or any other signed-in user, may not see it: refused at once, without
    // being asked to step up first.
    const other = await browser.raw(`${t.url}/backoffice/requests/${id}/document`);
    expect(other.status).toBe(403);
    const { browser: bruno } = await accountSession(BRUNO);
    const refused = await bruno.go(`${t.url}/backoffice/requests/${id}/document`);
    expect(refused.status).toBe(403);
    expect((await t.idp.services.audit.recent(1, { event: 'access.denied' }))[0]).toMatchObject({ actor: `C.${BRUNO.fiscal_code}` });

    const approved = await bo.submit(show, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.doc.querySelector('#request-status')?.text).toBe('approved');
    expect(await awaitMessage(outbox, phone, 'contact_approved')).toBeDefined();
    const audit = await t.idp.services.audit.recent(5, { event: 'request.approve' });
    expect(audit.at(-1)).toMatchObject({ actor: `C.${LUCA.fiscal_code}`, subject: `C.${GIANNI.fiscal_code}` });
    expect((await t.idp.services.audit.recent(5, { event: 'request.document' })).at(-1)).toMatchObject({ actor: `C.${LUCA.fiscal_code}` });
    await expect(cli('requests', 'approve', id)).rejects.toThrow(/already approved/);

    const member = new Browser(t.issuer);
    const choose = await enterCredentials(member, await member.go(`${t.url}/account`), GIANNI);
    expect(choose.html).toContain('+39******2233');
  });
});

describe('channel reset', () => {
  it('takes fiscal code, member code and a document; a wrong member code gets the same answer and stores nothing', async () => {
    const browser = new Browser(t.issuer);
    const form = await browser.go(`${t.url}/channel-reset`);
    expect(form.status).toBe(200);
    const before = storedDocuments().length;
    const wrong = await submitUpload(browser, form, { fiscal_code: PAOLA.fiscal_code, member_code: 'WRONG1' }, FILES.pdf);
    expect(wrong.status).toBe(202);
    expect(storedDocuments()).toHaveLength(before);
    const bad = await submitUpload(browser, form, { fiscal_code: 'NOTAFISCALCODE', member_code: PAOLA.member_code }, FILES.pdf);
    expect(bad.status).toBe(400);
    const right = await submitUpload(browser, form, { fiscal_code: PAOLA.fiscal_code.toLowerCase(), member_code: PAOLA.member_code }, FILES.pdf);
    expect(right.status).toBe(202);
    expect(right.doc.querySelector('[role=status]')?.text).toBe(wrong.doc.querySelector('[role=status]')?.text);
    expect(storedDocuments()).toHaveLength(before + 1);
    expect((await t.idp.services.audit.recent(2, { event: 'request.create' })).map((e) => e.reason)).toEqual(['member code mismatch', expect.stringMatching(/^channel-reset /)]);
  });

  it('is approved from the CLI: a first-access password by email, and registration starts over', async () => {
    const listed = await cli('requests', 'list');
    const id = listed.split('\n').find((l) => l.includes(`C.${PAOLA.fiscal_code}`))!.split('  ')[0]!;
    const file = path.join(tempDir('doc'), 'doc.pdf');
    expect(await cli('requests', 'show', id, '--document', file)).toMatch(/channel-reset of C\.NREPLA70E50F839P, pending/);
    expect(readFileSync(file).equals(FILES.pdf.data)).toBe(true);
    expect(await cli('requests', 'approve', id, '--by', 'mrossi')).toBe(`request ${id} approved; member notified`);
    const mail = await awaitMessage(outbox, PAOLA.email, 'first_access_reset');
    expect(mail.channel).toBe('email');
    expect(mail.text).toContain(mail.code!);
    expect(await t.idp.services.secureChannels.get(`C.${PAOLA.fiscal_code}`)).toBeUndefined();
    expect((await t.idp.services.audit.recent(1, { event: 'request.approve' }))[0]).toMatchObject({ actor: 'cli:mrossi' });

    const browser = new Browser(t.issuer);
    const rp = await relyingParty(t.issuer);
    const { authorizationUrl } = await import('../helpers/rp.ts');
    const choose = await enterCredentials(browser, await browser.go((await authorizationUrl(rp)).url), { fiscal_code: PAOLA.fiscal_code, password: mail.code! });
    expect(formFields(choose)).toContain('channel');
  });

  it('a rejection is told to the member with the note, and cannot be decided twice', async () => {
    const browser = new Browser(t.issuer);
    const form = await browser.go(`${t.url}/channel-reset`);
    await submitUpload(browser, form, { fiscal_code: BRUNO.fiscal_code, member_code: BRUNO.member_code }, FILES.jpeg);
    const id = (await cli('requests', 'list')).split('\n').find((l) => l.includes(`C.${BRUNO.fiscal_code}`))!.split('  ')[0]!;
    expect(await cli('requests', 'reject', id, '--note', 'Documento illeggibile')).toMatch(/rejected; member notified/);
    const sms = await awaitMessage(outbox, BRUNO.phone, 'request_rejected');
    expect(sms.text).toContain('Documento illeggibile');
    await expect(cli('requests', 'approve', id)).rejects.toThrow(/already rejected/);
    await expect(cli('requests', 'approve', 'nope')).rejects.toThrow(/request id/);
  });
});

describe('member code recovery', () => {
  it('sends the member code to the contact on record, once per period, and says the same for anyone', async () => {
    const browser = new Browser(t.issuer);
    const form = await browser.go(`${t.url}/channel-reset/member-code`);
    const sent = await browser.submit(form, { fiscal_code: BRUNO.fiscal_code, channel: 'email' });
    expect(sent.status).toBe(200);
    expect((await awaitMessage(outbox, BRUNO.email, 'member_code')).code).toBe(BRUNO.member_code);
    const count = readOutbox(outbox).length;
    const again = await browser.submit(form, { fiscal_code: BRUNO.fiscal_code, channel: 'email' });
    const unknown = await browser.submit(form, { fiscal_code: 'RSSMRA85T10A562S', channel: 'sms' });
    expect(again.doc.querySelector('[role=status]')?.text).toBe(sent.doc.querySelector('[role=status]')?.text);
    expect(unknown.doc.querySelector('[role=status]')?.text).toBe(sent.doc.querySelector('[role=status]')?.text);
    expect(readOutbox(outbox).length).toBe(count);
    expect((await browser.submit(form, { fiscal_code: BRUNO.fiscal_code, channel: 'fax' })).status).toBe(400);
    const forged = await new Browser(t.issuer).go(`${t.url}/channel-reset/member-code`, { method: 'POST', body: `csrf=x&fiscal_code=${BRUNO.fiscal_code}&channel=email`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(403);
  });
});

describe('forgot password', () => {
  it('sends a code on the secure channel, then takes a new password that follows the policy', async () => {
    const browser = new Browser(t.issuer);
    const start = await browser.go(`${t.url}/forgot-password`);
    const code = await browser.submit(start, { fiscal_code: BRUNO.fiscal_code, member_code: BRUNO.member_code });
    expect(formFields(code)).toContain('otp');
    const sms = await awaitMessage(outbox, BRUNO.phone, 'otp_reset');
    const wrong = await browser.submit(code, { otp: sms.code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const pw = await browser.submit(wrong, { otp: sms.code! });
    expect(formFields(pw)).toContain('new_password');
    const weak = await browser.submit(pw, { new_password: 'weakpass', new_password_confirm: 'weakpass' });
    expect(weak.status).toBe(400);
    expect(weak.alert).toMatch(/upper-case/);
    const done = await browser.submit(weak, { new_password: 'Bruno-Nuova-9?', new_password_confirm: 'Bruno-Nuova-9?' });
    expect(done.title).toBe('Password changed');
    const tokens = await login(new Browser(t.issuer), await relyingParty(t.issuer), { fiscal_code: BRUNO.fiscal_code, password: 'Bruno-Nuova-9?' });
    expect(tokens.claims()!.amr).toEqual(['pwd']);
  });

  it('looks the same for data that do not match, and sends nothing', async () => {
    const browser = new Browser(t.issuer);
    const count = readOutbox(outbox).length;
    const start = await browser.go(`${t.url}/forgot-password`);
    const code = await browser.submit(start, { fiscal_code: BRUNO.fiscal_code, member_code: 'M9999999' });
    expect(formFields(code)).toContain('otp');
    expect(code.doc.querySelector('[role=status]')?.text).toMatch(/If the data are right/);
    expect((await browser.submit(code, { otp: '123456' })).alert).toBe('Wrong or expired code.');
    expect(readOutbox(outbox).length).toBe(count);
  });
});

describe('document retention', () => {
  it('deletes the documents of decided requests after the retention period, keeps pending ones', async () => {
    const before = storedDocuments().length;
    const pending = (await t.idp.services.requests.list('pending')).length;
    expect(await cli('requests', 'purge')).toBe('0 documents deleted');
    clock.advance(89 * DAY_MS);
    expect(await t.idp.services.requests.purgeDocuments(90)).toBe(0);
    clock.advance(2 * DAY_MS);
    const decided = (await t.idp.services.requests.list('decided')).filter((r) => r.document).length;
    expect(decided).toBeGreaterThan(0);
    expect(await t.idp.services.requests.purgeDocuments(90)).toBe(decided);
    expect(storedDocuments()).toHaveLength(before - decided);
    expect(storedDocuments().length).toBe(pending);
    const one = (await t.idp.services.requests.list('decided'))[0]!;
    expect(await cli('requests', 'show', one.id)).toMatch(/document: deleted/);
  });
});
