import { describe, expect, it } from 'vitest';
import { coreStrings } from '../../src/http/core-strings.ts';
import { chooseLocale } from '../../src/http/i18n.ts';
import { installMethods } from '../../src/methods/install.ts';
import { methods } from '../../interactions/index.ts';

describe('locales', () => {
  it('has every string in Italian and English', async () => {
    const strings = coreStrings();
    installMethods(methods, strings);
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
