// The bench's what-if patches (test/bench/what-if/, used by test/bench/what-if.sh) still apply to the
// code they edit, so that what a feature costs can be measured again after the code has moved on.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../src/app.ts';

const DIR = path.join(ROOT, 'test/bench/what-if');
const hasPatch = spawnSync('patch', ['--version']).status === 0;

describe('the bench\'s what-if patches', () => {
  const patches = readdirSync(DIR).filter((f) => f.endsWith('.patch'));
  it('are there', () => {
    expect(patches.length).toBeGreaterThan(0);
  });
  it.skipIf(!hasPatch).each(patches)('%s applies to the code as it is', (name) => {
    const run = spawnSync('patch', ['--dry-run', '--forward', '-p1', '-d', ROOT], { input: readFileSync(path.join(DIR, name)), encoding: 'utf8' });
    // On failure: edit the code's lines in the patch to match what they are now (the what-if itself unchanged).
    expect(run.stdout + run.stderr, `${name} no longer applies: update it to the code it edits`).not.toMatch(/FAILED|Reversed|malformed/i);
    expect(run.status).toBe(0);
  });
});
