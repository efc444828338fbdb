// Dunning benchmark on the benchmarks' database (1,000,000 customers; about 310,000 of them owe
// something overdue). Two measurements, each with wall time and the peak memory of this process
// and of the database server:
//   1. the catch-up scan: no cases yet, every overdue customer found and given the ladder's first
//      step (reminders go to a local stand-in of Twilio's REST API, as in the tests);
//   2. the daily scan, what a contact center runs every day: the cases as the ladder leaves them
//      after running daily (built directly in bulk, see `buildSteadyState`), the clock one day on.
//   npm run bench:dunning -- [--customers 1000000] [--batch 500] [--concurrency 16] [--render-workers N] [--data-dir DIR] [--skip-catch-up] [--cpu-profile FILE]
// The parts live in bench-dunning/: setup (the day, a clean and warm database, the service under
// test), steady-state (the built cases), measure (time, CPU, memory, profiles) and report (printing).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startTwilioRestServer } from '@ringside/telephony/testing';
import { benchArgs } from './bench-app';
import { openBenchDatabase } from './bench-db';
import { ManualClock } from '../server/src/clock';
import { DAY_MS } from '../server/src/dunning/ladder';
import { measured, memoryOf, profiled } from './bench-dunning/measure';
import { mb, n, printReport, seconds } from './bench-dunning/report';
import { DAY0, cleanSlate, dunningService, warmUp } from './bench-dunning/setup';
import { buildSteadyState } from './bench-dunning/steady-state';

const argsSchema = z.object({
  customers: z.coerce.number().int().min(1000).default(1_000_000),
  batch: z.coerce.number().int().min(10).max(10_000).default(500),
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  /** Worker threads rendering PDFs (the app's default: cores − 1, 1 to 4). */
  'render-workers': z.coerce.number().int().min(0).max(16).optional(),
  'data-dir': z.string().optional(),
  'skip-catch-up': z.boolean().default(false),
  /** Writes a CPU profile of the daily scan (Chrome DevTools' .cpuprofile format) to this file. */
  'cpu-profile': z.string().optional(),
});

const TARGET_MS = 60_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      'render-workers': { type: 'string' },
      'data-dir': { type: 'string' },
      'skip-catch-up': { type: 'boolean' },
      'cpu-profile': { type: 'string' },
    },
  });
  const args = benchArgs('bench:dunning', argsSchema, values);
  const bench = await openBenchDatabase({
    customers: args.customers,
    ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
  });
  const account = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'bench-auth-token-1234' };
  const twilioRest = await startTwilioRestServer(account);
  const smsSent = () => {
    const sent = twilioRest.requests.filter((r) => r.path.endsWith('/Messages.json') && r.method === 'POST').length;
    twilioRest.requests.length = 0;
    return sent;
  };
  const options = {
    batchSize: args.batch,
    concurrency: args.concurrency,
    ...(args['render-workers'] === undefined ? {} : { renderWorkers: args['render-workers'] }),
  };
  try {
    const { models } = bench.db;
    console.log(
      `bench: ${n(await models.Customer.estimatedDocumentCount())} customers, ${n(await models.Invoice.estimatedDocumentCount())} invoices`,
    );
    await cleanSlate(bench);
    await warmUp(bench);

    if (!args['skip-catch-up']) {
      const clock = new ManualClock(DAY0);
      const dunning = dunningService(bench, clock, twilioRest, account, options);
      let lastLog = performance.now();
      const started = performance.now();
      const run = await measured(bench, () =>
        dunning.scan({
          onProgress: ({ phase, done }) => {
            if (performance.now() - lastLog < 30_000) return;
            lastLog = performance.now();
            console.log(
              `  ${phase}: ${n(done)}, ${seconds(performance.now() - started)}, rss ${mb(process.memoryUsage().rss)}`,
            );
          },
        }),
      );
      printReport(
        `dunning: catch-up scan on ${DAY0.toISOString()} (no cases yet: every overdue customer found, first steps taken)`,
        run.result,
        run,
        smsSent(),
      );
      console.log(
        '  (the Twilio stand-in runs in this process and keeps every message it was sent: part of the RSS above)',
      );
      await cleanSlate(bench);
    }

    console.log('\nsteady state: building the cases as the daily ladder leaves them (directly in bulk, untimed)…');
    const state = await buildSteadyState(bench);
    console.log(
      `  built in ${seconds(state.ms)}: ${n(state.cases)} cases (${Object.entries(state.byStage)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ')}; ${n(state.paused)} paused on a promise), ${n(state.callbacks)} collections callbacks`,
    );
    console.log(
      '  every rung due by the day taken at its time; 10% of earlier calls found nobody, 5% of cases past the call rung paused on a promise; no PDFs or legal-desk cases made for it',
    );

    const nextDay = new ManualClock(new Date(DAY0.getTime() + DAY_MS));
    const daily = dunningService(bench, nextDay, twilioRest, account, options);
    const run = await measured(bench, () =>
      args['cpu-profile'] ? profiled(args['cpu-profile'], () => daily.scan()) : daily.scan(),
    );
    printReport(
      `dunning: daily scan on ${nextDay.now().toISOString()} (steady state, one day after the built state)`,
      run.result,
      run,
      smsSent(),
    );
    console.log(
      `  target             daily scan ≤ ${seconds(TARGET_MS)}: ${run.ms <= TARGET_MS ? 'met' : 'NOT met'} (${seconds(run.ms)})`,
    );
    if (bench.pid)
      console.log(`  database server's peak over its whole life (VmHWM): ${mb(memoryOf(bench.pid)?.hwm ?? 0)}`);
  } finally {
    await twilioRest.close();
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
