// Callback scheduler benchmark: the real server (Agenda job `callbacks:due`, as `npm start` runs
// it) against its own database.
//   npm run bench:callbacks -- [--burst 20000] [--rate 50] [--seconds 60]
// 1. Throughput: `burst` callbacks all due at once; how many due callbacks per second are offered.
// 2. Lag: callbacks falling due at `rate` per second for `seconds`; due time → offered, p50/p95/p99.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';
import { z } from 'zod';
import { startDatabase } from '../server/src/db/embedded-db.mjs';
import { benchArgs, startApp } from './bench-app';
import { connectDatabase, type Database } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import { seedDemoUsers } from '../server/src/seed/seed';
import { zoneCallableFor } from '../server/src/testing/calling-zones';

const argsSchema = z.object({
  burst: z.coerce.number().int().min(100).max(1_000_000).default(20_000),
  rate: z.coerce.number().positive().max(5000).default(50),
  seconds: z.coerce.number().int().min(5).max(3600).default(60),
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** A zone where calls are allowed now and for the next two hours, so that nothing is postponed. */
function callableZone(): string {
  const zone = zoneCallableFor(new Date(), 120, { stepMinutes: 60 });
  if (!zone) throw new Error('no time zone is in calling hours for the next two hours; run again later');
  return zone;
}

async function insertCallbacks(
  db: Database,
  customers: Types.ObjectId[],
  dueAt: (i: number) => Date,
  n: number,
  tag: string,
): Promise<void> {
  for (let i = 0; i < n; i += 5000) {
    const docs = [];
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      docs.push({
        customerId: customers[j % customers.length],
        phone: `+4860${String(j).padStart(7, '0')}`,
        queue: 'support',
        reason: `bench ${tag}`,
        source: 'agent',
        naturalKey: `bench|${tag}|${j}`,
        dueAt: dueAt(j),
        personal: false,
        status: 'scheduled',
        attempts: [],
      });
    }
    await db.models.Callback.insertMany(docs, { ordered: false, lean: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { burst: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } },
  });
  const args = benchArgs('bench:callbacks', argsSchema, values);
  const dataDir = mkdtempSync(join(tmpdir(), 'ringside-bench-callbacks-'));
  const database = await startDatabase({
    dataDir,
    dbName: 'ringside_bench_callbacks',
    env: { ...process.env, MONGODB_URI: '' },
  });
  const db = await connectDatabase(database.uri);
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    await ensureIndexes(db.models);
    await seedDemoUsers(db.models);
    const zone = callableZone();
    const customers = (
      await db.models.Customer.insertMany(
        Array.from({ length: 1000 }, (_, i) => ({
          kind: 'person',
          name: `Bench Customer ${i}`,
          nameKeys: [`bench customer ${i}`],
          phones: [],
          phoneKeys: [],
          timeZone: zone,
          country: 'PL',
        })),
      )
    ).map((c) => c._id);

    app = await startApp({ NODE_ENV: 'development', MONGODB_URI: database.uri, SEED_DEMO: 'false', LOG_LEVEL: 'warn' });
    console.log(`callback scheduler benchmark: customers in ${zone}; the server's job runs every 2 s\n`);

    // 1. Throughput.
    const burstDue = new Date(Date.now() - 1000);
    await insertCallbacks(db, customers, () => burstDue, args.burst, 'burst');
    const started = Date.now();
    for (;;) {
      const left = await db.models.Callback.countDocuments(
        { reason: 'bench burst', status: 'scheduled' },
        { limit: args.burst },
      );
      if (left === 0) break;
      if (Date.now() - started > 30 * 60_000) throw new Error('the burst was not offered within 30 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    const offered = await db.models.Callback.find({ reason: 'bench burst' }, { offeredAt: 1 }).lean();
    const times = offered
      .map((c) => c.offeredAt?.getTime() ?? NaN)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const first = times[0] ?? started;
    const last = times.at(-1) ?? started;
    const perSecond = offered.length / Math.max(0.001, (last - first) / 1000);
    console.log(
      `throughput: ${offered.length.toLocaleString('en')} due callbacks offered in ${((last - first) / 1000).toFixed(1)} s (first ${((first - burstDue.getTime()) / 1000).toFixed(1)} s after due) → ${perSecond.toFixed(0)} callbacks/s`,
    );
    await db.models.Callback.updateMany({ reason: 'bench burst' }, { $set: { status: 'completed' } });

    // 2. Lag at a steady rate.
    const n = Math.round(args.rate * args.seconds);
    const t0 = Date.now() + 5000;
    await insertCallbacks(db, customers, (i) => new Date(t0 + (i / args.rate) * 1000), n, 'steady');
    await new Promise((r) => setTimeout(r, t0 + args.seconds * 1000 - Date.now() + 6000));
    for (;;) {
      const left = await db.models.Callback.countDocuments(
        { reason: 'bench steady', status: 'scheduled' },
        { limit: n },
      );
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const steady = await db.models.Callback.find({ reason: 'bench steady' }, { dueAt: 1, offeredAt: 1 }).lean();
    const lags = steady
      .map((c) => (c.offeredAt?.getTime() ?? NaN) - c.dueAt.getTime())
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `lag due → offered at ${args.rate}/s for ${args.seconds} s (${lags.length} callbacks): p50 ${s(percentile(lags, 50))}  p95 ${s(percentile(lags, 95))}  p99 ${s(percentile(lags, 99))}  max ${s(lags.at(-1) ?? NaN)}`,
    );
  } finally {
    app?.child.kill('SIGTERM');
    await db.close();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:callbacks: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
