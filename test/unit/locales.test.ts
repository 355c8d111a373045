import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/app.ts';
import { coreStrings } from '../../src/http/core-strings.ts';
import { chooseLocale, LOCALES, Strings } from '../../src/http/i18n.ts';
import { installMethods } from '../../src/methods/install.ts';
import { methods } from '../../interactions/index.ts';

async function allStrings(): Promise<Strings> {
  const strings = coreStrings();
  installMethods(methods, strings);
  return strings;
}

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext) && !e.parentPath.includes('node_modules'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The locale keys a template names: it.t('a.b'), and the prefixes of the keys it builds (it.t('a.' + x)). */
export function keysOfTemplate(source: string): { keys: string[]; prefixes: string[] } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  // it.t('key' ...) / it.t("key" ...), and the option keys the partials translate (label: it.t(...)).
  for (const m of source.matchAll(/\bt\(\s*(['"])([^'"]+)\1\s*([,)+])/g)) {
    if (m[3] === '+') prefixes.push(m[2]!);
    else keys.push(m[2]!);
  }
  // it.t(cond ? 'a' : 'b')
  for (const m of source.matchAll(/\bt\(\s*[^'"()]+\?\s*'([^']+)'\s*:\s*'([^']+)'/g)) keys.push(m[1]!, m[2]!);
  return { keys, prefixes };
}

describe('locales', () => {
  it('has every string in Italian and English', async () => {
    const strings = await allStrings();
    expect(strings.missing()).toEqual([]);
  });

  it('notices a key that one locale file lacks', () => {
    const strings = new Strings();
    strings.add('it', { 'a.one': 'uno', 'a.two': 'due' });
    strings.add('en', { 'a.one': 'one' });
    expect(strings.missing()).toEqual(['en:a.two']);
  });

  it('has every key the templates use, in both languages', async () => {
    const strings = await allStrings();
    const known = strings.keys();
    const problems: string[] = [];
    const templates = [...filesUnder(path.join(ROOT, 'views'), '.eta'), ...filesUnder(path.join(ROOT, 'interactions'), '.eta')];
    expect(templates.length).toBeGreaterThan(40);
    let seen = 0;
    for (const file of templates) {
      const { keys, prefixes } = keysOfTemplate(readFileSync(file, 'utf8'));
      seen += keys.length;
      const where = path.relative(ROOT, file);
      for (const k of keys) if (!known.has(k)) problems.push(`${where}: ${k}`);
      for (const p of prefixes) if (![...known].some((k) => k.startsWith(p))) problems.push(`${where}: ${p}*`);
    }
    expect(seen).toBeGreaterThan(300);
    expect(problems).toEqual([]);
  });

  it('names and explains every second factor on the unmet-level page (keys built from the step id)', () => {
    const strings = coreStrings();
    const { steps } = installMethods(methods, strings);
    const problems: string[] = [];
    for (const step of steps.ofSlot('second-factor')) {
      for (const key of [`method.${step.id}`, `unmet.how.${step.id}`]) {
        for (const locale of LOCALES) if (!strings.has(locale, key)) problems.push(`${locale}:${key}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('finds a key a template uses that no locale has', () => {
    const { keys, prefixes } = keysOfTemplate(`<%= it.t('identify.title') %> <%= it.t('nobody.has.this', { a: 1 }) %> <%= it.t('method.' + m) %> <%= it.t(x ? 'a.yes' : 'a.no') %>`);
    expect(keys).toEqual(['identify.title', 'nobody.has.this', 'a.yes', 'a.no']);
    expect(prefixes).toEqual(['method.']);
  });

  it('has every key the code names as a message, in both languages', async () => {
    const strings = await allStrings();
    const problems: string[] = [];
    const sources = [...filesUnder(path.join(ROOT, 'src'), '.ts'), ...filesUnder(path.join(ROOT, 'interactions'), '.ts')];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      // error: 'x.y', notice: 'x.y', noticeKey/errorKey, title: 'x.y', label: 'x.y', ctx.throw(403, 'error.x'), { error: 'x.y' } in zod
      for (const m of text.matchAll(/\b(?:error|notice|errorKey|noticeKey|title|label|what|submit)\s*:\s*'([a-z_]+(?:\.[a-z0-9_-]+)+)'/g)) {
        for (const locale of LOCALES) if (!strings.has(locale, m[1]!) && !m[1]!.endsWith('.')) problems.push(`${path.relative(ROOT, file)}: ${m[1]}`);
      }
      for (const m of text.matchAll(/throw\(\d{3}, '([a-z_]+\.[a-z0-9_.]+)'\)/g)) if (!strings.has('en', m[1]!)) problems.push(`${path.relative(ROOT, file)}: ${m[1]}`);
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('picks ui_locales first, then Accept-Language, then Italian', () => {
    expect(chooseLocale('en-GB it', 'it')).toBe('en');
    expect(chooseLocale(undefined, 'fr-FR,en;q=0.8,it;q=0.5')).toBe('en');
    expect(chooseLocale(undefined, 'it;q=0.9,en;q=0.1')).toBe('it');
    expect(chooseLocale(undefined, 'de')).toBe('it');
    expect(chooseLocale('xx', undefined)).toBe('it');
  });
});
