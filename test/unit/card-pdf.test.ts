// The printed card: parsed back, every value and the serial are there, in each size. Page 1 of each
// is rendered to test/artefacts/ for a person to look at (when pdftoppm is installed).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { ROOT } from '../../src/app.ts';
import { coreStrings } from '../../src/http/core-strings.ts';
import { installMethods } from '../../src/methods/install.ts';
import { methods } from '../../interactions/index.ts';
import { cardPdf } from '../../interactions/card/card-pdf.ts';
import { CARD_SIZES, SecurityCards } from '../../interactions/card/cards.ts';
import type { Services } from '../../src/services.ts';

const strings = coreStrings();
installMethods(methods, strings);
const ARTEFACTS = path.join(ROOT, 'test', 'artefacts');
const hasPdftoppm = spawnSync('sh', ['-c', 'command -v pdftoppm']).status === 0;

async function pagesText(pdf: Buffer): Promise<string[][]> {
  const standardFontDataUrl = `${path.join(ROOT, 'node_modules', 'pdfjs-dist', 'standard_fonts')}/`;
  const doc = await getDocument({ data: new Uint8Array(pdf), standardFontDataUrl, isEvalSupported: false }).promise;
  const out: string[][] = [];
  for (let i = 1; i <= doc.numPages; i += 1) {
    const content = await (await doc.getPage(i)).getTextContent();
    out.push(content.items.map((it) => ('str' in it ? it.str : '')).filter((s) => s.trim() !== ''));
  }
  await doc.destroy();
  return out;
}

describe('Security Card PDF', () => {
  // generate() needs only the clock.
  const card = new SecurityCards({ clock: { now: () => Date.UTC(2025, 2, 14) } } as unknown as Services).generate();

  it('draws 50 cells of three CSPRNG digits, with a serial', () => {
    expect(card.values).toHaveLength(50);
    for (const v of card.values) expect(v).toMatch(/^\d{3}$/);
    expect(card.serial).toMatch(/^\d{4}-\d{4}-\d{4}$/);
  });

  for (const size of CARD_SIZES) {
    it(`holds the holder, serial, date and every cell with its value (${size})`, async () => {
      const pdf = await cardPdf(card, { name: 'Mario Rossi', id: 'RSSMRA85T10A562S' }, size, (k, p) => strings.t('it', k, p));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const pages = await pagesText(pdf);
      const first = pages[0]!;
      const joined = `|${first.join('|')}|`;
      expect(joined).toContain(card.serial);
      expect(joined).toContain('Mario Rossi (RSSMRA85T10A562S)');
      expect(joined).toContain('14/03/2025'); // the date as Italian writes it
      // Each cell number is followed by its value, cells 1 to 50 in order.
      for (let cell = 1; cell <= 50; cell += 1) expect(joined).toContain(`|${cell}|${card.values[cell - 1]}|`);
      // Short instructions: on the page, or on the back of the wallet card.
      expect(pages.flat().join(' ')).toContain('Come si usa');
      if (hasPdftoppm) {
        mkdirSync(ARTEFACTS, { recursive: true });
        const file = path.join(ARTEFACTS, `security-card-${size}.pdf`);
        writeFileSync(file, pdf);
        const r = spawnSync('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', '-singlefile', file, path.join(ARTEFACTS, `security-card-${size}`)]);
        expect(r.status).toBe(0);
      }
    });
  }
});
