// Locale strings (Italian first, English) and the choice of locale from ui_locales or Accept-Language.
export const LOCALES = ['it', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'it';

export class Strings {
  private readonly dicts = new Map<string, Record<string, string>>();
  // Per locale, its strings over the default locale's (what t() reads: one lookup a string; a page
  // looks up a hundred or more). Made again by add(), which runs at start-up.
  private readonly resolved = new Map<string, Record<string, string>>();

  add(locale: string, dict: Record<string, string>): void {
    this.dicts.set(locale, { ...this.dicts.get(locale), ...dict });
    this.resolved.clear();
    for (const [l, d] of this.dicts) this.resolved.set(l, l === DEFAULT_LOCALE ? d : { ...this.dicts.get(DEFAULT_LOCALE), ...d });
  }

  t(locale: string, key: string, params?: Record<string, string | number>): string {
    const text = (this.resolved.get(locale) ?? this.resolved.get(DEFAULT_LOCALE))?.[key] ?? key;
    if (!text.includes('{')) return text; // most strings have no placeholder: no pattern to run
    return text.replace(/\{(\w+)\}/g, (m, name: string) => {
      if (!params || !(name in params)) return m;
      const value = String(params[name]);
      // A form field is named as its label says ("field.fiscal_code"), not by its technical name.
      return name === 'field' ? (this.has(locale, `field.${value}`) ? this.t(locale, `field.${value}`) : value) : value;
    });
  }

  has(locale: string, key: string): boolean {
    return key in (this.dicts.get(locale) ?? {}) || key in (this.dicts.get(DEFAULT_LOCALE) ?? {});
  }

  /** Every key of every locale. */
  keys(): Set<string> {
    const all = new Set<string>();
    for (const d of this.dicts.values()) for (const k of Object.keys(d)) all.add(k);
    return all;
  }

  /** Keys missing in some locale (a test keeps this empty). */
  missing(): string[] {
    const all = new Set<string>();
    for (const d of this.dicts.values()) for (const k of Object.keys(d)) all.add(k);
    const out: string[] = [];
    for (const locale of LOCALES) for (const k of all) if (!(k in (this.dicts.get(locale) ?? {}))) out.push(`${locale}:${k}`);
    return out;
  }
}

/** Picks a supported locale: ui_locales (space-separated, in order) first, then Accept-Language. */
export function chooseLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  for (const tag of (uiLocales ?? '').split(/\s+/)) {
    const base = tag.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(base ?? '')) return base as Locale;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { base: (tag ?? '').toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { base } of ranked) if ((LOCALES as readonly string[]).includes(base)) return base as Locale;
  return DEFAULT_LOCALE;
}
