// Page rendering: Eta templates (escaped by default) from the project root, with the shared layout.
// Every page gets, besides its own data: t() (the locale strings), fmt (dates and durations as the
// language writes them), the brand (name, logo, footer links), the language switch, the login's
// progress, and, after a form error, the values that were typed (secrets excepted) and the field the
// error is about, so that every form comes back whole and tied to its error.
import { Eta } from 'eta';
import type { AssetUrls } from './assets.ts';
import { formatters } from './format.ts';
import { LOCALES, type Strings } from './i18n.ts';
import { backPath } from './language.ts';
import { currentRequest, postedValues } from './page-context.ts';
import type { FlowState } from '../flow/step.ts';

export interface ViewOptions {
  /** The bank's name; unset: the locale's "app.name". */
  brandName?: string;
  links: { help: string; privacy?: string; contact?: string };
  assets: AssetUrls;
  /** The levels' acr values, lowest first (named in words on the pages). */
  levels: string[];
  progress?(flow: FlowState): { current: number; total: number } | undefined;
  anotherWay?(flow: FlowState): boolean;
}

// Eta renders a layout through its include(), which copies the page's data once more on top of the
// copy the layout call has just made: the layout is rendered with that copy itself (same data, same
// output, one object of every page's data less per page). Left as Eta wrote it if its code changes.
const ETA_LAYOUT = '__eta.res = include (__eta.layout, {...it, body: __eta.res, ...__eta.layoutData, __blocks: __eta.blocks});';
const DIRECT_LAYOUT = '__eta.res = this.render(__eta.layout, {...it, body: __eta.res, ...__eta.layoutData, __blocks: __eta.blocks}, options);';
export const directLayout = { processFnString: (fn: string) => fn.replace(ETA_LAYOUT, DIRECT_LAYOUT) };

const NO_ASSETS: AssetUrls = { style: '/assets/style.css', brand: '/assets/brand.css', script: '/assets/app.js', logo: '/assets/logo' };

export class Views {
  private readonly eta: Eta;
  private options: ViewOptions = { links: { help: '/help' }, assets: NO_ASSETS, levels: [] };

  constructor(root: string, readonly strings: Strings, cache: boolean) {
    this.eta = new Eta({ views: root, autoEscape: true, cache, useWith: false, plugins: [directLayout] });
    if (cache) {
      // Where a view or an include's file is never changes while templates are cached: found once
      // (Eta joins and checks the path at every render and include).
      const resolve = this.eta.resolvePath!.bind(this.eta);
      // By including file, then by name (no key to build at every include).
      const found = new Map<string, Map<string, string>>();
      let size = 0;
      this.eta.resolvePath = (template: string, options?: { filepath?: string }) => {
        const from = options?.filepath ?? '';
        let names = found.get(from);
        let path = names?.get(template);
        if (path === undefined) {
          path = resolve(template, options);
          if (size < 5000) {
            if (!names) found.set(from, (names = new Map()));
            names.set(template, path);
            size += 1;
          }
        }
        return path;
      };
    }
  }

  configure(options: ViewOptions): void {
    this.options = options;
  }

  /** A level in words ("Password and a second factor"), never its acr URI. */
  levelName(locale: string, acr: string | undefined): string {
    if (acr && this.strings.has(locale, `level.${acr}`)) return this.strings.t(locale, `level.${acr}`);
    const rank = acr ? this.options.levels.indexOf(acr) : -1;
    return this.strings.t(locale, 'level.other', { n: rank + 1 || '?' });
  }

  render(view: string, locale: string, data: Record<string, unknown> = {}): string {
    const t = (key: string, params?: Record<string, string | number>) => this.strings.t(locale, key, params);
    const o = this.options;
    const req = currentRequest();
    const flow = req?.flow && req.ctx.path.startsWith('/interaction/') ? req.flow : undefined;
    const here = req ? backPath(req.ctx) : '/account';
    const links = [
      { href: o.links.help, label: t('footer.help') },
      ...(o.links.privacy ? [{ href: o.links.privacy, label: t('footer.privacy') }] : []),
      ...(o.links.contact ? [{ href: o.links.contact, label: t('footer.contact') }] : []),
    ];
    return this.eta.render(view, {
      // A page shown again after an error gets back what was typed (never a secret).
      posted: data.error && req ? postedValues(req.ctx) : {},
      errorField: req?.errorField,
      ...data,
      // The fields the page shows (the partial records them): the error links to its field.
      page: { fields: new Set<string>() },
      t, locale,
      tOr: (key: string, fallback: string) => (this.strings.has(locale, key) ? t(key) : fallback),
      fmt: formatters(locale),
      level: (acr: string | undefined) => this.levelName(locale, acr),
      brand: { name: o.brandName ?? t('app.name'), links, year: new Date().getFullYear() },
      assets: o.assets,
      languages: LOCALES.filter((l) => l !== locale).map((l) => ({ code: l, label: this.strings.t(l, 'app.language_name'), href: `/language/${l}?back=${encodeURIComponent(here)}` })),
      progress: flow && o.progress ? o.progress(flow) : undefined,
      anotherWay: !!(flow && o.anotherWay?.(flow)),
    });
  }
}
