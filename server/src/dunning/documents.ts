// Printable documents of the dunning ladder: the reminder letter and the legal referral's
// summary, made with pdfkit and kept in the database (one document per case and kind, so every
// server process serves the same file and a repeated step never makes a second one).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import { DateTime } from 'luxon';
import { mongo, type Types } from 'mongoose';
import { upsertWrite } from '../db/upsert';

// A font with the letters of every customer's name (Polish, Croatian, Hungarian, Greek…):
// PDF's built-in fonts only know Western European ones.
const require = createRequire(import.meta.url);
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/**
 * The two faces, read and parsed once per process and shared by every document: parsing the
 * font's tables again for each letter cost about ten times the rest of the letter. (pdfkit takes a
 * parsed fontkit font wherever it takes a font file; its types only list files, hence the cast.)
 */
let fonts: { body: PDFKit.Mixins.PDFFontSource; bold: PDFKit.Mixins.PDFFontSource } | undefined;
export function loadFonts() {
  const parse = (path: string) => {
    const font = fontkit.create(readFileSync(path));
    if (typeof font.layout !== 'function') throw new Error(`${path} is not a single font`);
    return font as unknown as PDFKit.Mixins.PDFFontSource;
  };
  fonts ??= { body: parse(FONT), bold: parse(FONT_BOLD) };
  return fonts;
}

export type DocumentKind = 'letter' | 'legal-summary';

export interface StoredDocument {
  /** `<kind>:<caseId>`: one per case and kind. */
  _id: string;
  caseId: Types.ObjectId;
  kind: DocumentKind;
  filename: string;
  contentType: 'application/pdf';
  data: mongo.Binary;
  createdAt: Date;
}

export interface LetterInvoice {
  number: string;
  amount: number;
  open: number;
  dueAt: Date;
  paymentReference: string;
}

export interface LetterInput {
  customer: {
    name: string;
    address?: { street?: string; city?: string; postalCode?: string; country?: string } | undefined;
    timeZone: string;
    language?: string | undefined;
  };
  currency: string;
  invoices: LetterInvoice[];
  total: number;
  /** Date of the letter. */
  at: Date;
  caseRef: string;
  /** Pay by this day. */
  payBy: Date;
}

export interface LegalSummaryInput {
  customer: {
    name: string;
    id: string;
    address?: LetterInput['customer']['address'];
    timeZone: string;
    phones: string[];
  };
  currency: string;
  invoices: LetterInvoice[];
  total: number;
  openedAt: Date;
  at: Date;
  caseRef: string;
  history: Array<{ at: Date; action: string; outcome?: string | undefined; details?: string | undefined }>;
  promiseToPay?: { date: Date; amount: number } | undefined;
}

export const formatMoney = (amount: number, currency: string) =>
  `${amount.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;

/** A date as the customer reads it: their own zone, ISO order (2026-11-24). */
export const formatDay = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).toISODate() ?? at.toISOString().slice(0, 10);

function render(title: string, draw: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { body, bold } = loadFonts();
    // No default font: the built-in Helvetica would be loaded for nothing.
    const doc = new PDFDocument({ size: 'A4', margin: 56, font: '', info: { Title: title, Author: 'Ringside' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('body', body);
    doc.registerFont('bold', bold);
    doc.font('body').fontSize(10.5);
    draw(doc);
    doc.end();
  });
}

function addressLines(a: LetterInput['customer']['address']): string[] {
  if (!a) return [];
  return [a.street, [a.postalCode, a.city].filter(Boolean).join(' '), a.country].filter((x): x is string => Boolean(x));
}

function invoiceTable(doc: PDFKit.PDFDocument, invoices: LetterInvoice[], currency: string, zone: string): void {
  const x = doc.page.margins.left;
  const cols = [x, x + 110, x + 200, x + 300, x + 390];
  doc.font('bold');
  const head = doc.y;
  ['Invoice', 'Due date', 'Amount', 'Still open', 'Payment reference'].forEach((h, i) =>
    doc.text(h, cols[i], head, { lineBreak: false }),
  );
  doc.moveDown(0.6).font('body');
  for (const inv of invoices) {
    const y = doc.y;
    [
      inv.number,
      formatDay(inv.dueAt, zone),
      formatMoney(inv.amount, currency),
      formatMoney(inv.open, currency),
      inv.paymentReference,
    ].forEach((v, i) => doc.text(v, cols[i], y, { lineBreak: false }));
    doc.moveDown(0.5);
  }
  doc.x = x;
}

/** The reminder letter: who, what is owed, since when, how to pay; ready to print. */
export function renderLetter(input: LetterInput): Promise<Buffer> {
  const zone = input.customer.timeZone;
  return render(`Payment reminder ${input.caseRef}`, (doc) => {
    doc.font('bold').fontSize(14).text('Payment reminder').moveDown(0.5);
    doc
      .font('body')
      .fontSize(10.5)
      .text(`Date: ${formatDay(input.at, zone)}`)
      .text(`Our reference: ${input.caseRef}`)
      .moveDown();
    doc.font('bold').text(input.customer.name).font('body');
    for (const line of addressLines(input.customer.address)) doc.text(line);
    doc.moveDown();
    doc.text(`Dear ${input.customer.name},`).moveDown(0.5);
    doc.text(
      `according to our records the invoices below are past their due date. The amount still open is ${formatMoney(input.total, input.currency)}. ` +
        `Please pay it by ${formatDay(input.payBy, zone)}, quoting the payment reference of each invoice. If you have paid in the last few days, please ignore this letter.`,
    );
    doc.moveDown();
    invoiceTable(doc, input.invoices, input.currency, zone);
    doc
      .moveDown()
      .font('bold')
      .text(`Total open: ${formatMoney(input.total, input.currency)}`)
      .font('body')
      .moveDown();
    doc.text(
      'If you cannot pay in full, call us: we can agree a date or a plan. If you believe an invoice is wrong, tell us and we will look into it before anything else happens.',
    );
    doc.moveDown(2).text('Kind regards,').text('Accounts receivable');
  });
}

/** The legal referral's summary: customer, invoices, and every reminder and call with its outcome. */
export function renderLegalSummary(input: LegalSummaryInput): Promise<Buffer> {
  const zone = input.customer.timeZone;
  return render(`Legal referral ${input.caseRef}`, (doc) => {
    doc.font('bold').fontSize(14).text('Legal referral: summary of the debt').moveDown(0.5);
    doc
      .font('body')
      .fontSize(10.5)
      .text(`Prepared: ${formatDay(input.at, zone)}`)
      .text(`Dunning case: ${input.caseRef}, opened ${formatDay(input.openedAt, zone)}`)
      .moveDown();
    doc.font('bold').text('Customer').font('body');
    doc.text(input.customer.name).text(`Customer id: ${input.customer.id}`);
    for (const line of addressLines(input.customer.address)) doc.text(line);
    if (input.customer.phones.length) doc.text(`Phones: ${input.customer.phones.join(', ')}`);
    doc.text(`Time zone: ${zone}`).moveDown();
    doc.font('bold').text('Invoices').font('body').moveDown(0.3);
    invoiceTable(doc, input.invoices, input.currency, zone);
    doc
      .moveDown()
      .font('bold')
      .text(`Total open: ${formatMoney(input.total, input.currency)}`)
      .font('body')
      .moveDown();
    if (input.promiseToPay)
      doc
        .text(
          `Last promise to pay: ${formatMoney(input.promiseToPay.amount, input.currency)} by ${formatDay(input.promiseToPay.date, zone)}`,
        )
        .moveDown();
    doc.font('bold').text('Reminders and calls').font('body').moveDown(0.3);
    for (const h of input.history) {
      const when = DateTime.fromJSDate(h.at, { zone }).toFormat('yyyy-MM-dd HH:mm');
      doc.text(
        `${when}  ${h.action.replace(/_/g, ' ')}${h.outcome ? `: ${h.outcome}` : ''}${h.details ? ` (${h.details})` : ''}`,
      );
    }
  });
}

/** One document to render: what a render-pool worker is sent. */
export type RenderJob = { kind: 'letter'; input: LetterInput } | { kind: 'legal-summary'; input: LegalSummaryInput };

export function renderDocument(job: RenderJob): Promise<Buffer> {
  return job.kind === 'letter' ? renderLetter(job.input) : renderLegalSummary(job.input);
}

/** The documents collection: one PDF per case and kind, written once. */
export class DocumentStore {
  private readonly collection: mongo.Collection<StoredDocument>;

  constructor(db: mongo.Db) {
    this.collection = db.collection<StoredDocument>('dunningdocuments');
  }

  /** Stores the document unless one of this kind exists for the case already; true when written now. */
  async putOnce(doc: Omit<StoredDocument, '_id' | 'data'> & { data: Buffer }): Promise<boolean> {
    const _id = `${doc.kind}:${doc.caseId.toString()}`;
    const { created } = await upsertWrite(() =>
      this.collection.updateOne(
        { _id },
        { $setOnInsert: { ...doc, _id, data: new mongo.Binary(doc.data) } },
        { upsert: true },
      ),
    );
    return created;
  }

  async get(
    caseId: Types.ObjectId,
    kind: DocumentKind,
  ): Promise<{ filename: string; contentType: string; data: Buffer } | null> {
    const found = await this.collection.findOne({ _id: `${kind}:${caseId.toString()}` });
    if (!found) return null;
    return { filename: found.filename, contentType: found.contentType, data: Buffer.from(found.data.buffer) };
  }

  async has(caseId: Types.ObjectId, kind: DocumentKind): Promise<boolean> {
    return (await this.collection.countDocuments({ _id: `${kind}:${caseId.toString()}` }, { limit: 1 })) > 0;
  }
}
