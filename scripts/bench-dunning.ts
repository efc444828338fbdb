// Dunning benchmark: one full scan of the dunning ladder on the benchmarks' database (1,000,000
// customers, about a tenth of them with overdue invoices): cases opened and updated, and every
// due step taken (reminders go to a local stand-in of Twilio's REST API, as in the tests).
//   npm run bench:dunning -- [--customers 1000000] [--batch 500] [--concurrency 16] [--data-dir DIR]
// Prints the wall time and the peak memory of this process and of the database server. A
// second scan right after shows the steady state (nothing new to send).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TwilioProvider } from '@ringside/telephony';
import { startTwilioRestServer } from '@ringside/telephony/testing';
import { openBenchDatabase } from './bench-db';
import { ManualClock } from '../server/src/clock';
import { createLogger } from '../server/src/logger';
import { CustomerService } from '../server/src/customers/customers.service';
import { CallbackService } from '../server/src/callbacks/callbacks.service';
import { DunningService, type ScanReport } from '../server/src/dunning/dunning.service';

const argsSchema = z.object({
  customers: z.coerce.number().int().min(1000).default(1_000_000),
  batch: z.coerce.number().int().min(10).max(10_000).default(500),
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  'data-dir': z.string().optional(),
});

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Resident and peak resident memory of a process, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

function printReport(title: string, report: ScanReport, wallMs: number) {
  console.log(`\n${title}`);
  console.log(`  wall time          ${seconds(wallMs)}`);
  console.log(`  overdue invoices   ${report.overdueInvoices.toLocaleString('en')}`);
  console.log(`  cases              ${report.cases.live.toLocaleString('en')} live; opened ${report.cases.opened.toLocaleString('en')}, updated ${report.cases.updated.toLocaleString('en')}, closed ${report.cases.closed.toLocaleString('en')}; ${report.cases.due.toLocaleString('en')} due`);
  const actions = Object.entries(report.actions).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v.toLocaleString('en')}`);
  console.log(`  actions            ${actions.join(', ')}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: 'string' }, batch: { type: 'string' }, concurrency: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(z.prettifyError(parsed.error));
    process.exit(2);
  }
  const args = parsed.data;
  const bench = await openBenchDatabase({ customers: args.customers, ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}) });
  const account = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'bench-auth-token-1234' };
  const twilioRest = await startTwilioRestServer(account);
  try {
    const { models } = bench.db;
    const mongo = bench.db.conn.db;
    if (!mongo) throw new Error('no database');
    // A clean slate: the ladder starts from no cases (earlier runs' cases, letters, callbacks go).
    await Promise.all(['dunningcases', 'dunningdocuments', 'dunningstats'].map((name) => mongo.dropCollection(name).catch(() => false)));
    await models.DunningCase.createIndexes();
    await models.Callback.deleteMany({ source: 'dunning' });
    await models.Audit.deleteMany({ entity: 'dunning_case' });
    console.log(`bench: ${(await models.Customer.estimatedDocumentCount()).toLocaleString('en')} customers, ${(await models.Invoice.estimatedDocumentCount()).toLocaleString('en')} invoices`);

    // Monday 11:00 in Warsaw, the day after the seeded data's "now": inside calling hours.
    const clock = new ManualClock(new Date('2026-11-02T10:00:00Z'));
    const logger = createLogger('warn');
    const customers = new CustomerService(models, 'PL');
    const twilio = new TwilioProvider({ ...account, apiBase: twilioRest.url, publicUrl: 'https://ringside.example.com' });
    const dunning = new DunningService({
      models,
      db: mongo,
      clock,
      logger,
      sms: twilio,
      callbacks: new CallbackService({ models, clock, customers, defaultCountry: 'PL' }),
      customers,
      options: { batchSize: args.batch, concurrency: args.concurrency },
    });

    let peak = process.memoryUsage().rss;
    let dbPeak = bench.pid ? (memoryOf(bench.pid)?.rss ?? 0) : 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
      if (bench.pid) dbPeak = Math.max(dbPeak, memoryOf(bench.pid)?.rss ?? 0);
    }, 100);
    let lastLog = performance.now();
    const started = performance.now();
    const report = await dunning.scan({
      onProgress: ({ phase, done }) => {
        if (performance.now() - lastLog < 10_000) return;
        lastLog = performance.now();
        console.log(`  ${phase}: ${done.toLocaleString('en')}, ${seconds(performance.now() - started)}, rss ${mb(process.memoryUsage().rss)}`);
      },
    });
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const sms = twilioRest.requests.filter((r) => r.path.endsWith('/Messages.json') && r.method === 'POST').length;

    printReport('dunning: first full scan (every overdue customer found, first reminders sent)', report, wallMs);
    console.log(`  SMS requests       ${sms.toLocaleString('en')} at the Twilio stand-in`);
    console.log(`  peak RSS (scan)    server process ${mb(peak)}; database ${bench.pid ? mb(dbPeak) : 'n/a (not run by this machine)'}`);
    if (bench.pid) console.log(`  database peak (its whole life, VmHWM) ${mb(memoryOf(bench.pid)?.hwm ?? 0)}`);
    console.log(`  target             ≤ 60 s: ${wallMs <= 60_000 ? 'met' : 'NOT met'}`);

    const again = performance.now();
    const second = await dunning.scan();
    printReport('dunning: a second scan right after (steady state: nothing new is due)', second, performance.now() - again);
    const smsAfter = twilioRest.requests.filter((r) => r.path.endsWith('/Messages.json') && r.method === 'POST').length;
    console.log(`  SMS requests       ${(smsAfter - sms).toLocaleString('en')} more (none expected)`);
  } finally {
    await twilioRest.close();
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
