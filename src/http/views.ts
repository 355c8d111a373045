// Page rendering: Eta templates (escaped by default) from the project root, with the shared layout
// and the locale strings available as t().
import { Eta } from 'eta';
import type { Strings } from './i18n.ts';

export class Views {
  private readonly eta: Eta;

  constructor(root: string, readonly strings: Strings, cache: boolean) {
    this.eta = new Eta({ views: root, autoEscape: true, cache, useWith: false });
  }

  render(view: string, locale: string, data: Record<string, unknown> = {}): string {
    const t = (key: string, params?: Record<string, string | number>) => this.strings.t(locale, key, params);
    return this.eta.render(view, { ...data, t, locale });
  }
}
