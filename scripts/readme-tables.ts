// Rewrites README's generated tables (settings, Redis keys) from the code: `npx tsx scripts/readme-tables.ts`.
// test/unit/readme.test.ts fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../src/config.ts';
import { keyTableMarkdown } from '../src/store/keys.ts';
import { methods } from '../interactions/index.ts';

const file = new URL('../README.md', import.meta.url);

/** Replaces the table that starts with `header` (its lines up to the first that is not a row). */
function replaceTable(text: string, header: string, table: string): string {
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`README has no table starting with ${header}`);
  const rows = text.slice(start).split('\n');
  const count = rows.findIndex((l) => !l.startsWith('|'));
  return text.slice(0, start) + table + text.slice(start + rows.slice(0, count).join('\n').length);
}

let readme = readFileSync(file, 'utf8');
readme = replaceTable(readme, '| variable | meaning (default) |', settingsTable());
readme = replaceTable(readme, '| key | type | TTL | what |', keyTableMarkdown(methods));
writeFileSync(file, readme);
