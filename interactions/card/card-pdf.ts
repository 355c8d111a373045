// The printable Security Card (pdfkit): holder, serial, issue date, the 5 x 10 grid with the cell
// numbers in bold, and short instructions, in three sizes. The PDF is made on request and never kept.
import PDFDocument from 'pdfkit';
import type { Card, CardSize } from './cards.ts';
import { COLUMNS, ROWS } from './cards.ts';
import { formatters } from '../../src/http/format.ts';

export interface Holder { name: string; id: string }
type T = (key: string, params?: Record<string, string | number>) => string;

interface Layout {
  page: [number, number];
  margin: number;
  cellW: number;
  cellH: number;
  title: number;     // font sizes
  text: number;
  number: number;
  value: number;
  /** Wallet size: instructions on the back (page 2). */
  instructionsOnBack: boolean;
}

const MM = 72 / 25.4;
const LAYOUTS: Record<CardSize, Layout> = {
  normal: { page: [595.28, 841.89], margin: 56, cellW: 48, cellH: 38, title: 18, text: 10, number: 8, value: 16, instructionsOnBack: false },
  small: { page: [85.6 * MM, 54 * MM], margin: 8, cellW: 22.6, cellH: 17, title: 7, text: 5, number: 4.5, value: 7.5, instructionsOnBack: true },
  large: { page: [841.89, 595.28], margin: 40, cellW: 76, cellH: 62, title: 22, text: 12, number: 11, value: 28, instructionsOnBack: false },
};

/** The card's PDF; t translates its words, locale writes its date (29/11/2026). */
export function cardPdf(card: Card, holder: Holder, size: CardSize, t: T, locale = 'it'): Promise<Buffer> {
  const l = LAYOUTS[size];
  const doc = new PDFDocument({
    size: l.page, margin: l.margin,
    info: { Title: t('card.pdf.title'), Author: t('app.name'), Subject: `${t('card.pdf.serial')} ${card.serial}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const issued = formatters(locale).date(card.issuedAt);
  const width = l.cellW * COLUMNS;
  const left = (l.page[0] - width) / 2;
  doc.font('Helvetica-Bold').fontSize(l.title).text(t('card.pdf.title'), left, l.margin, { width, lineBreak: false });
  doc.font('Helvetica').fontSize(l.text);
  const line = l.text * 1.3;
  let y = l.margin + l.title * 1.4;
  doc.text(`${t('card.pdf.holder')}: ${holder.name} (${holder.id})`, left, y, { width, lineBreak: false }); y += line;
  doc.text(`${t('card.pdf.serial')}: ${card.serial}`, left, y, { width, lineBreak: false }); y += line;
  doc.text(`${t('card.pdf.issued')}: ${issued}`, left, y, { width, lineBreak: false }); y += line * 1.4;

  doc.lineWidth(size === 'small' ? 0.3 : 0.8).strokeColor('#333333');
  for (let r = 0; r < ROWS; r += 1) {
    for (let c = 0; c < COLUMNS; c += 1) {
      const cell = r * COLUMNS + c + 1;
      const x = left + c * l.cellW;
      const top = y + r * l.cellH;
      doc.rect(x, top, l.cellW, l.cellH).stroke();
      doc.font('Helvetica-Bold').fontSize(l.number).fillColor('#0b5394')
        .text(String(cell), x + l.cellW * 0.08, top + l.cellH * 0.06, { lineBreak: false });
      doc.font('Helvetica').fontSize(l.value).fillColor('#000000')
        .text(card.values[cell - 1]!, x, top + l.cellH - l.value * 1.15, { width: l.cellW, align: 'center', lineBreak: false });
    }
  }
  y += ROWS * l.cellH + line;

  if (l.instructionsOnBack) doc.addPage({ size: l.page, margin: l.margin });
  const startY = l.instructionsOnBack ? l.margin : y;
  doc.font('Helvetica-Bold').fontSize(l.text).text(t('card.pdf.how'), left, startY, { width });
  doc.font('Helvetica').fontSize(l.text);
  for (const key of ['card.pdf.step1', 'card.pdf.step2', 'card.pdf.step3']) doc.text(`• ${t(key)}`, { width });
  doc.end();
  return done;
}
