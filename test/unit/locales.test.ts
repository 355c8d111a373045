import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/app.ts';
import { discoverSteps, loadStrings, StepRegistry } from '../../src/flow/registry.ts';
import { chooseLocale, Strings } from '../../src/http/i18n.ts';

describe('locales', () => {
  it('has every string in Italian and English', async () => {
    const strings = new Strings();
    loadStrings(path.join(ROOT, 'views', 'locales'), strings);
    await discoverSteps(path.join(ROOT, 'interactions'), new StepRegistry(), strings);
    expect(strings.missing()).toEqual([]);
  });
  it('picks ui_locales first, then Accept-Language, then Italian', () => {
    expect(chooseLocale('en-GB it', 'it')).toBe('en');
    expect(chooseLocale(undefined, 'fr-FR,en;q=0.8,it;q=0.5')).toBe('en');
    expect(chooseLocale(undefined, 'it;q=0.9,en;q=0.1')).toBe('it');
    expect(chooseLocale(undefined, 'de')).toBe('it');
    expect(chooseLocale('xx', undefined)).toBe('it');
  });
});
