// Customer search on the benchmark database (1,000,000 customers by default): phone lookup in
// the written forms people use, name-prefix search without diacritics (3 letters or more) and
// label pages, each first page and the next one through its cursor, through the same service the
// API uses. Prints p50/p99 per form. The first search of a process reads the frequency sample
// (search/search.ts); a warm-up search takes it out of the figures.
//   npm run bench:search -- [--customers 1000000] [--samples 2000]
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { foldLatin } from '@ringside/shared';
import { letterCount, MIN_PREFIX } from '../server/src/customers/search/keys';
import { benchArgs } from './bench-app';
import { openBenchDatabase } from './bench-db';
import { CustomerService } from '../server/src/customers/customers.service';
import type { Viewer } from '../server/src/auth/viewer';

const argsSchema = z.object({
  customers: z.coerce.number().int().min(1000).default(1_000_000),
  samples: z.coerce.number().int().min(10).max(100_000).default(2000),
});

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return `p50 ${at(50).toFixed(2)} ms  p99 ${at(99).toFixed(2)} ms  max ${(s.at(-1) ?? NaN).toFixed(2)} ms  (n=${s.length})`;
}

async function time(
  inputs: string[],
  run: (input: string) => Promise<number>,
): Promise<{ ms: number[]; found: number }> {
  const ms: number[] = [];
  let found = 0;
  for (const input of inputs) {
    const t = performance.now();
    found += (await run(input)) > 0 ? 1 : 0;
    ms.push(performance.now() - t);
  }
  return { ms, found };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: 'string' }, samples: { type: 'string' } } });
  const args = benchArgs('bench:search', argsSchema, values);
  const bench = await openBenchDatabase({ customers: args.customers });
  try {
    const { models } = bench.db;
    const total = await models.Customer.estimatedDocumentCount();
    // Samples spread over the collection: every k-th customer by _id, read by an index range.
    const sample = await models.Customer.find({}, { phones: 1, name: 1, country: 1 })
      .limit(args.samples * 50)
      .lean();
    const picked = sample.filter((_, i) => i % 50 === 0).slice(0, args.samples);
    const service = new CustomerService(models, 'PL');
    const supervisor: Viewer = { userId: '000000000000000000000000', roles: ['supervisor'], name: 'bench' };

    const e164 = picked.map((c) => c.phones[0]?.e164).filter((p): p is string => Boolean(p));
    const international00 = e164.map((p) => `00${p.slice(1, 3)} ${p.slice(3)}`);
    const prefixes = picked
      .map((c) => foldLatin(c.name).split(' ').at(-1)?.slice(0, 4) ?? '')
      .filter((p) => letterCount(p) >= MIN_PREFIX);

    console.log(`customers: ${total.toLocaleString()}; samples: ${picked.length}`);
    await time(e164.slice(0, 50), async (p) => ((await models.Customer.findOne({ phoneKeys: p }).lean()) ? 1 : 0)); // warm-up
    const raw = await time(e164, async (p) =>
      (await models.Customer.findOne({ phoneKeys: p }, { _id: 1 }).lean()) ? 1 : 0,
    );
    console.log(`phone lookup, indexed findOne on phoneKeys:     ${stats(raw.ms)}  found ${raw.found}/${e164.length}`);
    const viaE164 = await time(
      e164,
      async (p) => (await service.search({ phone: p, limit: 20 }, supervisor)).customers.length,
    );
    console.log(
      `phone search (API service), E.164:              ${stats(viaE164.ms)}  found ${viaE164.found}/${e164.length}`,
    );
    const via00 = await time(
      international00,
      async (p) => (await service.search({ phone: p, limit: 20 }, supervisor)).customers.length,
    );
    console.log(
      `phone search (API service), "00CC …" written:   ${stats(via00.ms)}  found ${via00.found}/${international00.length}`,
    );
    await service.search({ q: 'warm', limit: 20 }, supervisor); // reads the frequency sample
    const cursors: Array<{ q: string; cursor: string }> = [];
    const names = await time(prefixes, async (q) => {
      const answer = await service.search({ q, limit: 20 }, supervisor);
      if (answer.cursor) cursors.push({ q, cursor: answer.cursor });
      return answer.customers.length;
    });
    console.log(
      `name prefix, 3–4 letters, first page of 20:     ${stats(names.ms)}  found ${names.found}/${prefixes.length}`,
    );
    const nextNames = await time(
      cursors.map((c) => JSON.stringify(c)),
      async (c) => {
        const { q, cursor } = JSON.parse(c) as { q: string; cursor: string };
        return (await service.search({ q, after: cursor, page: 2, limit: 20 }, supervisor)).customers.length;
      },
    );
    console.log(
      `name prefix, next page via cursor:              ${stats(nextNames.ms)}  found ${nextNames.found}/${cursors.length}`,
    );
    const labelNames = ['vip', 'b2b', 'late-payer', 'new', 'wholesale', 'newsletter'];
    const labelRuns = Array.from(
      { length: Math.max(100, Math.ceil(args.samples / 4)) },
      (_, i) => labelNames[i % labelNames.length] ?? 'vip',
    );
    const labelCursors: Array<{ label: string; cursor: string }> = [];
    const labels = await time(labelRuns, async (label) => {
      const answer = await service.search({ label, limit: 20 }, supervisor);
      if (answer.cursor) labelCursors.push({ label, cursor: answer.cursor });
      return answer.customers.length;
    });
    console.log(
      `label, first page of 20:                        ${stats(labels.ms)}  found ${labels.found}/${labelRuns.length}`,
    );
    const nextLabels = await time(
      labelCursors.map((c) => JSON.stringify(c)),
      async (c) => {
        const { label, cursor } = JSON.parse(c) as { label: string; cursor: string };
        return (await service.search({ label, after: cursor, page: 2, limit: 20 }, supervisor)).customers.length;
      },
    );
    console.log(
      `label, next page via cursor:                    ${stats(nextLabels.ms)}  found ${nextLabels.found}/${labelCursors.length}`,
    );
  } finally {
    await bench.stop();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:search: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
