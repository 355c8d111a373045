import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../src/config.ts';
import { keyTableMarkdown } from '../../src/store/keys.ts';
import { methods } from '../../interactions/index.ts';
import { ROOT } from '../../src/app.ts';

describe('README', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  it('documents every setting as the code defines it', () => {
    expect(readme).toContain(settingsTable());
  });
  it('tables every Redis key, the methods\' included', () => {
    expect(readme).toContain(keyTableMarkdown(methods));
  });
  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
