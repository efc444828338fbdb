// Dunning benchmark on the benchmarks' database (1,000,000 customers; about 310,000 of them owe
// something overdue). Two measurements, each with wall time and the peak memory of this process
// and of the database server:
//   1. the catch-up scan: no cases yet, every overdue customer found and given the ladder's first
//      step (reminders go to a local stand-in of Twilio's REST API, as in the tests);
//   2. the daily scan, what a contact center runs every day: the cases as the ladder leaves them
//      after running daily (built directly in bulk, see `buildSteadyState`), the clock one day on.
//   npm run bench:dunning -- [--customers 1000000] [--batch 500] [--concurrency 16] [--render-workers N] [--data-dir DIR] [--skip-catch-up] [--cpu-profile FILE]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Types } from 'mongoose';
import { z } from 'zod';
import { TwilioProvider } from '@ringside/telephony';
import { startTwilioRestServer, type TwilioRestServer } from '@ringside/telephony/testing';
import { benchArgs } from './bench-app';
import { openBenchDatabase, type BenchDatabase } from './bench-db';
import { ManualClock } from '../server/src/clock';
import { createLogger } from '../server/src/logger';
import { CustomerService } from '../server/src/customers/customers.service';
import { CallbackService } from '../server/src/callbacks/callbacks.service';
import { AuditService } from '../server/src/audit/audit.service';
import type { Callback } from '../server/src/db/schemas/callback.model';
import { DunningService, addOverdue, type OverdueDebt, type ScanReport } from '../server/src/dunning/dunning.service';
import type { DunningCase } from '../server/src/db/schemas/dunning-case.model';
import { DAY_MS, DEFAULT_LADDER, nextStep, round2 } from '../server/src/dunning/ladder';

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

/** The day of the catch-up scan and of the built state: Monday 11:00 in Warsaw, the day after the seeded data's "now". */
const DAY0 = new Date('2026-11-02T10:00:00Z');
const TARGET_MS = 60_000;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n = (x: number) => x.toLocaleString('en');

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

// Garbage collection on demand, so that each measurement starts from what is really in use.
setFlagsFromString('--expose-gc');
const collect: unknown = runInNewContext('gc');
const collectGarbage = () => {
  if (typeof collect === 'function') collect();
};

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function cpuOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10;
  } catch {
    return undefined;
  }
}

/** Samples the resident memory of this process and of the database server while `work` runs. */
async function measured<T>(bench: BenchDatabase, work: () => Promise<T>): Promise<Run & { result: T }> {
  collectGarbage();
  const baseline = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const dbCpuBefore = bench.pid ? cpuOf(bench.pid) : undefined;
  let peak = process.memoryUsage().rss;
  let dbPeak = bench.pid ? (memoryOf(bench.pid)?.rss ?? 0) : undefined;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (bench.pid && dbPeak !== undefined) dbPeak = Math.max(dbPeak, memoryOf(bench.pid)?.rss ?? 0);
  };
  const sampler = setInterval(sample, 100);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    sample();
    const used = process.cpuUsage(cpuBefore);
    const dbCpuAfter = bench.pid ? cpuOf(bench.pid) : undefined;
    const dbCpu = dbCpuBefore !== undefined && dbCpuAfter !== undefined ? dbCpuAfter - dbCpuBefore : undefined;
    return { result, ms, peak, dbPeak, baseline, cpu: (used.user + used.system) / 1000, dbCpu };
  } finally {
    clearInterval(sampler);
  }
}

interface Run {
  ms: number;
  peak: number;
  dbPeak: number | undefined;
  baseline: number;
  /** CPU time of this process and of the database server during the run, ms. */
  cpu: number;
  dbCpu: number | undefined;
}

function printReport(title: string, report: ScanReport, run: Run, sms: number) {
  console.log(`\n${title}`);
  console.log(`  wall time          ${seconds(run.ms)}`);
  console.log(`  overdue invoices   ${n(report.overdueInvoices)}`);
  console.log(
    `  cases              ${n(report.cases.live)} live; opened ${n(report.cases.opened)}, updated ${n(report.cases.updated)}, closed ${n(report.cases.closed)}`,
  );
  console.log(`  cases looked at    ${n(report.cases.due)} due`);
  console.log(
    `  phases             invoices and cases read ${seconds(report.phases.read)}, then cases in step ${seconds(report.phases.sync)}; steps (begun with the reading) done at ${seconds(report.phases.steps)}`,
  );
  console.log(
    `  steps' parts       ${Object.entries(report.stepParts)
      .map(([part, ms]) => `${part} ${seconds(ms)}`)
      .join(', ')} (summed over batches in flight)`,
  );
  const actions = Object.entries(report.actions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${n(v)}`);
  console.log(`  actions            ${actions.join(', ')}`);
  console.log(`  SMS requests       ${n(sms)} at the Twilio stand-in`);
  console.log(
    `  CPU time           scanning process ${seconds(run.cpu)}; database server ${run.dbCpu === undefined ? 'n/a' : seconds(run.dbCpu)} (2 cores: ${seconds(2 * run.ms)} available)`,
  );
  console.log(
    `  peak RSS           scanning process ${mb(run.peak)} (${mb(run.baseline)} before the scan); database server ${run.dbPeak === undefined ? 'n/a (not run by this machine)' : mb(run.dbPeak)}`,
  );
}

/** Removes what earlier runs of the ladder left: cases, documents, figures, its callbacks, audits and contact history. */
async function cleanSlate(bench: BenchDatabase): Promise<void> {
  const { models } = bench.db;
  const mongo = bench.db.conn.db;
  if (!mongo) throw new Error('no database');
  await Promise.all(
    ['dunningcases', 'dunningdocuments', 'dunningstats'].map((name) => mongo.dropCollection(name).catch(() => false)),
  );
  await models.DunningCase.createIndexes();
  await models.Callback.deleteMany({ source: 'dunning' });
  await models.Audit.deleteMany({ entity: 'dunning_case' });
  await models.Case.deleteMany({ number: { $regex: '^LEGAL-' } });
  // The ladder's reminders in the contact history (dated from the benchmark's day on; seeded ones are older).
  await models.Interaction.deleteMany({
    at: { $gte: new Date(DAY0.getTime() - DAY_MS) },
    type: { $in: ['sms', 'letter'] },
    summary: { $regex: '^Payment reminder (\\(SMS to|letter:)' },
  });
}

/** Reads the overdue invoices once, untimed, so that the measured scans find the database's files in memory. */
async function warmUp(bench: BenchDatabase): Promise<number> {
  const started = performance.now();
  let read = 0;
  for (let end = DAY0.getTime(); end > DAY0.getTime() - 400 * DAY_MS; end -= 20 * DAY_MS) {
    const page = await bench.db.models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(end - 20 * DAY_MS), $lt: new Date(end) } },
      { customerId: 1 },
    ).lean();
    read += page.length;
    const ids = [...new Set(page.map((i) => i.customerId.toHexString()))]
      .slice(0, 5000)
      .map((id) => new Types.ObjectId(id));
    await bench.db.models.Customer.find({ _id: { $in: ids } }, { phones: 1 }).lean();
  }
  console.log(`warm-up (untimed): ${n(read)} open invoices read in ${seconds(performance.now() - started)}`);
  return read;
}

/** Runs `work` under V8's sampling profiler and writes the profile to `file`. */
async function profiled<T>(file: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the daily scan written to ${file}`);
  }
}

const hashOf = (text: string) => createHash('sha1').update(text).digest();
/** A number in [0, 1) fixed by the text: the built state is the same on every run. */
const fraction = (text: string) => hashOf(text).readUInt32BE(0) / 2 ** 32;

/**
 * The cases as the ladder leaves them after running every day up to DAY0, built directly in bulk
 * (running the ladder day by day over months of history would take hours). For every overdue
 * customer and currency as of DAY0: one case, every rung due by DAY0 taken at its due time (a
 * text message where the customer may get one, otherwise skipped as the ladder does; the letter;
 * a collections call where calling is allowed; the legal referral). Its next look is the next
 * rung, and the next day while a collections call is not made yet or found nobody. Of the calls
 * asked before DAY0, 10% found nobody (another round is due the next day), the others reached the
 * customer (looked at again at the next rung); 5% of the cases past the call rung are paused on
 * a promise to pay, the promised dates spread over the next two weeks. Letters' and legal summaries' PDFs and the legal desk's cases are not made for the built state.
 */
async function buildSteadyState(
  bench: BenchDatabase,
): Promise<{ cases: number; callbacks: number; byStage: Record<string, number>; paused: number; ms: number }> {
  const started = performance.now();
  const { models } = bench.db;
  const now = DAY0.getTime();
  // Overdue open invoices per customer and currency, as the scan aggregates them.
  const byKey = new Map<string, OverdueDebt>();
  for (let end = now; end > now - 400 * DAY_MS; end -= 20 * DAY_MS) {
    const page = await models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(end - 20 * DAY_MS), $lt: new Date(end) } },
      { customerId: 1, currency: 1, amount: 1, paid: 1, dueAt: 1 },
    ).lean();
    for (const inv of page) addOverdue(byKey, inv);
  }
  const entries = [...byKey.entries()];
  const byStage: Record<string, number> = {};
  let callbacks = 0;
  let paused = 0;
  for (let i = 0; i < entries.length; i += 5000) {
    const chunk = entries.slice(i, i + 5000);
    const customerIds = [...new Set(chunk.map(([, agg]) => agg.customerId.toHexString()))].map(
      (id) => new Types.ObjectId(id),
    );
    const customers = new Map(
      (await models.Customer.find({ _id: { $in: customerIds } }, { phones: 1, flags: 1 }).lean()).map((c) => [
        c._id.toHexString(),
        c,
      ]),
    );
    const cases: Array<Partial<DunningCase>> = [];
    const calls: Array<Partial<Callback>> = [];
    for (const [key, agg] of chunk) {
      const customer = customers.get(agg.customerId.toHexString());
      if (!customer) continue;
      const _id = new Types.ObjectId(hashOf(`case:${key}`).subarray(0, 12));
      const flags = customer.flags ?? { doNotCall: false, smsConsent: true, doNotSms: false };
      const mobile = customer.phones.find((p) => !p.wrongNumber && p.type === 'mobile')?.e164;
      const callable = customer.phones.find((p) => !p.wrongNumber)?.e164;
      const amount = round2(agg.amount);
      const c: Partial<DunningCase> & {
        history: DunningCase['history'];
        stepsDone: string[];
        messages: DunningCase['messages'];
        callAttempts: Date[];
      } = {
        _id,
        customerId: agg.customerId,
        currency: agg.currency,
        caseKey: `${key}|1`,
        status: 'open',
        stage: 'none',
        invoiceIds: agg.invoiceIds,
        amount,
        oldestDueAt: new Date(agg.oldest),
        openedAt: new Date(Math.min(now, agg.oldest)),
        history: [
          {
            at: new Date(Math.min(now, agg.oldest)),
            action: 'opened',
            details: { amount, invoices: agg.invoiceIds.length },
          },
        ],
        stepsDone: [],
        callAttempts: [],
        messages: [],
        callRounds: 0,
      };
      // Every rung due by DAY0, taken when it fell due.
      for (;;) {
        const next = nextStep(DEFAULT_LADDER, {
          oldestDueAt: new Date(agg.oldest),
          stepsDone: c.stepsDone,
          lastStepAt: c.lastStepAt,
        });
        if (!next || next.dueAt.getTime() > now) break;
        const at = next.dueAt;
        const action = next.step.action;
        c.stepsDone.push(action);
        c.lastStepAt = at;
        const skipped =
          (action === 'sms' && (flags.doNotCall || flags.doNotSms || !flags.smsConsent || !mobile)) ||
          (action === 'call' && (flags.doNotCall || !callable));
        if (skipped) {
          c.history.push({ at, action: `${action}_skipped`, outcome: 'built state' });
          continue;
        }
        c.stage = action;
        c.history.push({ at, action, stage: action });
        if (action === 'sms' && mobile) {
          c.messages.push({
            sid: `SM${hashOf(`sms:${key}`).toString('hex').slice(0, 32)}`,
            step: 'sms',
            to: mobile,
            body: 'Payment reminder (built state)',
            status: 'delivered',
            sentAt: at,
          });
        }
        if (action === 'letter') c.letterPath = `/api/dunning/cases/${_id.toHexString()}/letter`;
        if (action === 'legal') c.legalSummaryPath = `/api/dunning/cases/${_id.toHexString()}/legal-summary`;
        if (action === 'call' && callable) {
          c.callRounds = 1;
          const askedToday = now - at.getTime() < DAY_MS;
          const noAnswer = !askedToday && fraction(`noanswer:${key}`) < 0.1;
          const lastAttempt = askedToday ? undefined : new Date(Math.max(at.getTime(), now - 3 * 3_600_000));
          if (lastAttempt) c.callAttempts.push(lastAttempt);
          calls.push({
            customerId: agg.customerId,
            phone: callable,
            queue: 'collections',
            reason: `Overdue ${amount.toFixed(2)} ${agg.currency} (dunning)`,
            source: 'dunning',
            naturalKey: `dunning|${_id.toHexString()}|call|1`,
            dueAt: at,
            requestedDueAt: at,
            personal: false,
            status: askedToday ? 'scheduled' : noAnswer ? 'failed' : 'completed',
            attempts: lastAttempt ? [{ at: lastAttempt, outcome: noAnswer ? 'no-answer' : 'answered' }] : [],
            dunningCaseId: _id,
            createdAt: at,
            updatedAt: lastAttempt ?? at,
          });
        }
      }
      const next = nextStep(DEFAULT_LADDER, {
        oldestDueAt: new Date(agg.oldest),
        stepsDone: c.stepsDone,
        lastStepAt: c.lastStepAt,
      });
      const lastCall = calls.at(-1);
      const reached = lastCall?.dunningCaseId?.equals(_id) === true && lastCall.status === 'completed';
      const promise = c.stepsDone.includes('call') && fraction(`promise:${key}`) < 0.05;
      if (promise) {
        const date = new Date(now + Math.floor(fraction(`promise-date:${key}`) * 14) * DAY_MS - DAY_MS);
        Object.assign(c, {
          status: 'paused',
          pausedReason: 'promise',
          promiseToPay: { date, amount, recordedAt: new Date(now - DAY_MS) },
          balanceAtPromise: amount,
          nextActionAt: new Date(date.getTime() + DAY_MS),
        });
        c.history.push({ at: new Date(now - DAY_MS), action: 'promise_to_pay', outcome: 'built state' });
        paused += 1;
      } else if (c.stage === 'call' && (c.callRounds ?? 0) > 0 && !reached) {
        // A call not yet made, or one that found nobody: looked at again the next day (as the ladder does).
        c.nextActionAt = new Date(Math.min(next?.dueAt.getTime() ?? Infinity, now + DAY_MS));
      } else if (next) {
        c.nextActionAt = next.dueAt;
      }
      byStage[c.stage ?? 'none'] = (byStage[c.stage ?? 'none'] ?? 0) + 1;
      cases.push(c);
    }
    await models.DunningCase.insertMany(cases, { ordered: false, lean: true });
    if (calls.length) await models.Callback.insertMany(calls, { ordered: false, lean: true });
    callbacks += calls.length;
  }
  return { cases: entries.length, callbacks, byStage, paused, ms: performance.now() - started };
}

function dunningService(
  bench: BenchDatabase,
  clock: ManualClock,
  twilioRest: TwilioRestServer,
  account: { accountSid: string; authToken: string },
  options: { batchSize: number; concurrency: number; renderWorkers?: number },
) {
  const { models } = bench.db;
  const mongo = bench.db.conn.db;
  if (!mongo) throw new Error('no database');
  const customers = new CustomerService(models, 'PL');
  return new DunningService({
    models,
    db: mongo,
    clock,
    logger: createLogger('warn'),
    sms: new TwilioProvider({ ...account, apiBase: twilioRest.url, publicUrl: 'https://ringside.example.com' }),
    callbacks: new CallbackService({ models, clock, customers, defaultCountry: 'PL' }),
    audit: new AuditService(models, clock),
    customers,
    options,
  });
}

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
