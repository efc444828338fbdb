import { afterEach, describe, expect, it } from 'vitest';
import { extractText } from 'unpdf';
import { RenderPool } from './render-pool';
import type { RenderJob } from './documents';

const letter = (name: string): RenderJob => ({
  kind: 'letter',
  input: {
    customer: {
      name,
      timeZone: 'Europe/Warsaw',
      address: { street: 'ul. Długa 5', postalCode: '00-001', city: 'Warszawa' },
    },
    currency: 'PLN',
    invoices: [
      {
        number: 'FV/2026/11/0001',
        amount: 1234.5,
        open: 1000,
        dueAt: new Date('2026-10-01T10:00:00Z'),
        paymentReference: 'RS-0001',
      },
    ],
    total: 1000,
    at: new Date('2026-11-02T10:00:00Z'),
    caseRef: 'ABCDEF1234',
    payBy: new Date('2026-11-09T10:00:00Z'),
  },
});

const text = async (pdf: Buffer) => (await extractText(new Uint8Array(pdf), { mergePages: true })).text;

// Each worker loads the TypeScript renderer and its fonts when it starts: seconds on a busy
// 2-core machine, so these tests get more than the unit tier's 5 s.
describe('render pool', { timeout: 30_000 }, () => {
  const pools: RenderPool[] = [];
  const pool = (size: number, idleMs = 60_000) => {
    const p = new RenderPool({ size, idleMs });
    pools.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it('renders documents in worker threads, each one whole and in the right order of answers', async () => {
    const p = pool(2);
    const names = ['Łucja Wróbel', 'Γιώργος Παπαδόπουλος', 'Đurđa Šimić', 'Szőke Ödön', 'Anna Nowak', 'Jan Kowalski'];
    const pdfs = await Promise.all(names.map((name) => p.render(letter(name))));
    expect(p.rendered).toEqual({ workers: names.length, here: 0 });
    expect(p.workers).toBeGreaterThanOrEqual(1);
    expect(p.workers).toBeLessThanOrEqual(2);
    for (const [i, pdf] of pdfs.entries()) {
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const t = await text(pdf);
      expect(t).toContain(names[i]);
      expect(t).toContain('1,000.00 PLN');
      expect(t).toContain('2026-10-01');
    }
  });

  it('a document that cannot be rendered fails alone; the worker goes on', async () => {
    const p = pool(1);
    const bad = letter('Anna Nowak');
    if (bad.kind === 'letter') Object.assign(bad.input, { invoices: null });
    const [failed, fine] = await Promise.allSettled([p.render(bad), p.render(letter('Jan Kowalski'))]);
    expect(failed.status).toBe('rejected');
    expect(failed.status === 'rejected' && String(failed.reason)).toMatch(/rendering the letter failed/);
    expect(fine.status === 'fulfilled' && (await text(fine.value))).toContain('Jan Kowalski');
    // A value that cannot cross to another thread fails that document only.
    const uncloneable = letter('Jan Kowalski');
    if (uncloneable.kind === 'letter') Object.assign(uncloneable.input.customer, { address: { street: () => 'x' } });
    await expect(p.render(uncloneable)).rejects.toThrow(/could not be cloned/);
    expect(await text(await p.render(letter('Anna Nowak')))).toContain('Anna Nowak');
    expect(p.rendered.here).toBe(0);
  });

  it('stops idle workers and starts one again for the next document', async () => {
    const p = pool(1, 100);
    await p.render(letter('Anna Nowak'));
    expect(p.workers).toBe(1);
    await expect.poll(() => p.workers, { timeout: 5000 }).toBe(0);
    expect(await text(await p.render(letter('Jan Kowalski')))).toContain('Jan Kowalski');
    expect(p.rendered.workers).toBe(2);
  });

  it('renders on the calling thread with size 0, and after closing (also what was still waiting)', async () => {
    const here = pool(0);
    expect(await text(await here.render(letter('Anna Nowak')))).toContain('Anna Nowak');
    expect(here.rendered).toEqual({ workers: 0, here: 1 });
    expect(here.workers).toBe(0);

    const p = pool(1);
    const waiting = Array.from({ length: 5 }, (_, i) => p.render(letter(`Customer ${i}`)));
    await p.close();
    const pdfs = await Promise.all(waiting);
    expect(p.rendered.workers + p.rendered.here).toBe(5);
    expect(await text(pdfs[4] as Buffer)).toContain('Customer 4');
    const renderedHere = p.rendered.here;
    expect(await text(await p.render(letter('After Close')))).toContain('After Close');
    expect(p.rendered.here).toBe(renderedHere + 1);
    expect(p.workers).toBe(0);
  });
});
