// Submits a page's main form as multipart/form-data with a file, the way a browser would.
import { parse } from 'node-html-parser';
import type { Browser, Page } from './browser.ts';

export interface TestFile { name: string; type: string; data: Buffer }

export async function submitUpload(browser: Browser, page: Page, fields: Record<string, string>, file?: TestFile): Promise<Page> {
  const form = page.doc.querySelector('form[method=post]');
  if (!form) throw new Error(`no form on ${page.url} (${page.status}): ${page.alert ?? page.title ?? ''}`);
  const body = new FormData();
  for (const input of form.querySelectorAll('input[type=hidden]')) body.set(input.getAttribute('name')!, input.getAttribute('value') ?? '');
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  if (file) body.set('document', new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
  const url = new URL(form.getAttribute('action') ?? page.url, page.url).href;
  const cookie = await browser.jar.getCookieString(url);
  const res = await fetch(url, { method: 'POST', body, redirect: 'manual', headers: { 'accept-language': 'en', accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  for (const c of res.headers.getSetCookie()) await browser.jar.setCookie(c, url, { ignoreError: true });
  const html = await res.text();
  const doc = parse(html);
  return { status: res.status, url, html, doc, alert: doc.querySelector('[role=alert]')?.text.trim(), title: doc.querySelector('h1')?.text.trim() };
}

/** Small but well-formed-looking files of each kind (only their first bytes matter to the sniffing). */
export const FILES = {
  png: { name: 'id-card.png', type: 'image/png', data: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2000, 7)]) },
  pdf: { name: 'id-card.pdf', type: 'application/pdf', data: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]) },
  jpeg: { name: 'id.jpg', type: 'image/jpeg', data: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1500, 1)]) },
  text: { name: 'id-card.pdf', type: 'application/pdf', data: Buffer.from('this is just text pretending to be a PDF\n'.repeat(20)) },
  exe: { name: 'passport.png', type: 'image/png', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from('PE\0\0'), Buffer.alloc(2000, 0x90)]) },
  elf: { name: 'scan.jpg', type: 'image/jpeg', data: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(2000, 0)]) },
};
