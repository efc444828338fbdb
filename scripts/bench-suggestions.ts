// Suggestions benchmark: the full run of the suggestions job (learn from every order, store
// the rules, score and write every customer) on the benchmarks' database.
//   npm run bench:suggestions -- [--customers 1000000] [--orders-per-range 5000] [--read-concurrency 2]
//                                [--write-batch 1000] [--writes-in-flight 2] [--data-dir DIR]
// The database is kept in the cache directory and reused: the first run seeds it (long).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { benchArgs } from './bench-app';
import { openBenchDatabase } from './bench-db';
import { systemClock } from '../server/src/clock';
import { createLogger } from '../server/src/logger';
import { SuggestionsService, type FullRunProgress } from '../server/src/suggestions/suggestions.service';

const argsSchema = z.object({
  customers: z.coerce.number().int().min(1000).default(1_000_000),
  'orders-per-range': z.coerce.number().int().min(100).max(1_000_000).default(5000),
  'read-concurrency': z.coerce.number().int().min(1).max(16).default(2),
  'write-batch': z.coerce.number().int().min(10).max(100_000).default(1000),
  'writes-in-flight': z.coerce.number().int().min(1).max(64).default(2),
  'data-dir': z.string().optional(),
});

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en')}/s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string' },
      'orders-per-range': { type: 'string' },
      'read-concurrency': { type: 'string' },
      'write-batch': { type: 'string' },
      'writes-in-flight': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const args = benchArgs('bench:suggestions', argsSchema, values);
  const bench = await openBenchDatabase({
    customers: args.customers,
    ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
  });
  try {
    const { models } = bench.db;
    const orderCount = await models.Order.estimatedDocumentCount();
    console.log(
      `bench: ${(await models.Customer.estimatedDocumentCount()).toLocaleString('en')} customers, ${orderCount.toLocaleString('en')} orders`,
    );

    const service = new SuggestionsService({
      models,
      clock: systemClock,
      logger: createLogger('warn'),
      options: {
        ordersPerRange: args['orders-per-range'],
        readConcurrency: args['read-concurrency'],
        writeBatch: args['write-batch'],
        writesInFlight: args['writes-in-flight'],
      },
    });

    // Peak memory of the run itself (the process peak may include seeding the database first).
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    let lastLog = performance.now();
    const started = performance.now();
    const onProgress = ({ phase, orders }: FullRunProgress) => {
      if (performance.now() - lastLog < 10_000) return;
      lastLog = performance.now();
      console.log(
        `  ${phase}: ${orders.toLocaleString('en')} orders, ${seconds(performance.now() - started)}, rss ${mb(process.memoryUsage().rss)}`,
      );
    };
    const report = await service.runFull({ onProgress });
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    console.log('\nsuggestions full run');
    console.log(
      `  wall time          ${seconds(wallMs)} (learn ${seconds(report.learnMs)}, score + write ${seconds(report.scoreMs)})`,
    );
    console.log(`  orders             ${report.orders.toLocaleString('en')} per pass, two passes`);
    console.log(
      `  throughput         ${perSecond(report.orders, wallMs)} orders (whole run), learn ${perSecond(report.orders, report.learnMs)}, score ${perSecond(report.orders, report.scoreMs)}`,
    );
    console.log(
      `  customers          ${report.customers.toLocaleString('en')} with orders, ${report.withSuggestions.toLocaleString('en')} with suggestions (${((report.withSuggestions / Math.max(1, report.customers)) * 100).toFixed(1)} %)`,
    );
    console.log(
      `  rules              ${report.rules.toLocaleString('en')} over ${report.products} products; removed stale documents: ${report.removed}`,
    );
    console.log(`  peak RSS (run)     ${mb(peak)}; process peak ${mb(process.resourceUsage().maxRSS * 1024)}`);

    // A few reasons of each kind, as the pop shows them.
    const kinds: Array<[string, RegExp]> = [
      ['follow-up', /^Bought .* ago; customers usually buy .* after\.$/],
      ['replenishment', /^Last bought .*; customers usually buy it again/],
      ['bought together', /^Customers who bought /],
    ];
    // Customers who ordered in one week a month ago (an indexed range: a scan of every document
    // would cost the embedded database its whole result in memory).
    const day = 86_400_000;
    const weekStart = new Date(Date.now() - 37 * day);
    const recent = await models.Order.find(
      { placedAt: { $gte: weekStart, $lt: new Date(weekStart.getTime() + 7 * day) } },
      { customerId: 1 },
    )
      .limit(5000)
      .lean();
    const sample = await models.CustomerSuggestions.find(
      { _id: { $in: recent.map((o) => o.customerId) } },
      { items: 1 },
    ).lean();
    console.log(`\nexample reasons (from ${sample.length} customers who ordered about a month ago)`);
    for (const [kind, pattern] of kinds) {
      const reasons = [
        ...new Set(sample.flatMap((d) => d.items.map((i) => i.reason)).filter((r) => pattern.test(r))),
      ].slice(0, 3);
      for (const reason of reasons) console.log(`  [${kind}] ${reason}`);
    }
    const blade = sample.flatMap((d) => d.items).find((i) => i.sku.startsWith('BLADE-'));
    if (blade) console.log(`  [${blade.sku}] ${blade.reason} (score ${blade.score})`);
  } finally {
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
