// The HTTP helpers never import the flow engine at run time (type imports only), so the engine can
// use them without an import cycle; and the core never names an installed method.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/app.ts';
import { methods } from '../../interactions/index.ts';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('layers', () => {
  it('src/http imports src/flow for types only', () => {
    for (const file of files(path.join(ROOT, 'src', 'http'))) {
      const runtime = readFileSync(file, 'utf8').split('\n').filter((l) => /^import (?!type )/.test(l) && l.includes("'../flow/"));
      expect(runtime, file).toEqual([]);
    }
  });
  it('nothing in src/ imports a method folder but the config and the app, through the one list', () => {
    for (const file of files(path.join(ROOT, 'src'))) {
      const imports = readFileSync(file, 'utf8').split('\n').filter((l) => /^import .*interactions\//.test(l));
      for (const line of imports) expect(line, file).toMatch(/interactions\/index\.ts'/);
    }
  });
  it('no method id is written in the engine, the policy or the self-service core', () => {
    const ids = methods.map((m) => m.id).filter((id) => !['identify', 'password', 'consent'].includes(id));
    for (const dir of ['flow', 'methods', 'self-service', 'backoffice']) {
      for (const file of files(path.join(ROOT, 'src', dir))) {
        const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
        for (const id of ids) expect(text, `${file} names ${id}`).not.toMatch(new RegExp(`['"\`/]${id}['"\`/]`));
      }
    }
  });
});
