// A small user agent for flow tests: cookies (tough-cookie), redirects followed by hand, pages
// parsed with node-html-parser, the page's main form submitted the way a browser would.
import { CookieJar } from 'tough-cookie';
import { parse, type HTMLElement } from 'node-html-parser';

export interface Page {
  status: number;
  url: string;
  /** Set when the flow left the IdP (a redirect to another origin, e.g. the client's callback). */
  left?: string;
  html: string;
  doc: HTMLElement;
  alert?: string;
  title?: string;
}

export class Browser {
  readonly jar = new CookieJar();
  /** Where requests for the issuer's origin actually go (another process of the same deployment). */
  via?: string;
  lastStatuses: number[] = [];
  /** How requests are made (e.g. over TLS with a client certificate: see certificate.ts tlsFetch). */
  fetcher: typeof fetch = fetch;

  constructor(private readonly issuer: string, private readonly lang = 'en') {}

  private target(url: string): string {
    if (!this.via) return url;
    const u = new URL(url);
    const issuer = new URL(this.issuer);
    if (u.origin !== issuer.origin) return url;
    const v = new URL(this.via);
    u.protocol = v.protocol; u.host = v.host;
    return u.href;
  }

  async raw(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const cookie = await this.jar.getCookieString(url);
    const res = await this.fetcher(this.target(url), {
      method: init.method ?? 'GET',
      body: init.body,
      redirect: 'manual',
      headers: { 'accept-language': this.lang, accept: 'text/html', ...(cookie ? { cookie } : {}), ...init.headers },
    });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    this.lastStatuses.push(res.status);
    return res;
  }

  /** Follows redirects within the issuer's origin; stops at a page or when the flow leaves. */
  async go(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    let current = url;
    let res = await this.raw(current, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops += 1) {
      const next = new URL(res.headers.get('location')!, current).href;
      if (new URL(next).origin !== new URL(this.issuer).origin) {
        return { status: res.status, url: current, left: next, html: '', doc: parse('') };
      }
      current = next;
      res = await this.raw(current);
    }
    const html = await res.text();
    const doc = parse(html);
    return {
      status: res.status, url: current, html, doc,
      alert: doc.querySelector('[role=alert]')?.text.trim(),
      title: doc.querySelector('h1')?.text.trim(),
    };
  }

  /** Submits the page's main form with these fields (hidden ones are kept). */
  async submit(page: Page, fields: Record<string, string>, opts: { formaction?: string } = {}): Promise<Page> {
    const form = page.doc.querySelector('form[method=post]');
    if (!form) throw new Error(`no form on page ${page.url} (${page.status}): ${page.alert ?? page.title ?? page.html.slice(0, 200)}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input[type=hidden]')) body.set(input.getAttribute('name')!, input.getAttribute('value') ?? '');
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    const action = new URL(opts.formaction ?? form.getAttribute('action') ?? page.url, page.url).href;
    return this.go(action, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
}

/** The field names of the page's main form. */
export function formFields(page: Page): string[] {
  return (page.doc.querySelector('form[method=post]')?.querySelectorAll('input') ?? []).map((i) => i.getAttribute('name') ?? '');
}
