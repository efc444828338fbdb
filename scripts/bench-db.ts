// The benchmarks' database: kept in the cache directory and reused across runs, seeded once
// (deterministically, seed 1) with as many customers as the largest run asked for.
import { join } from 'node:path';
import { cacheDir, startDatabase } from '../server/src/db/embedded-db.mjs';
import { connectDatabase, type Database } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import { seedDatabase } from '../server/src/seed/seed';
import type { Db, ResumeToken } from 'mongodb';
import { STATE_ID, backfillPopSummaries, historyLost } from '../server/src/screen-pop/summaries';
import { systemClock } from '../server/src/clock';

export interface BenchDatabase {
  db: Database;
  uri: string;
  /** The database server's process, when this machine runs it. */
  pid?: number;
  stop(): Promise<void>;
}

export async function openBenchDatabase(opts: { customers: number; dataDir?: string }): Promise<BenchDatabase> {
  const dataDir = opts.dataDir ?? join(cacheDir(), 'bench-db');
  const database = await startDatabase({
    dataDir,
    dbName: 'ringside_bench',
    env: { ...process.env, MONGODB_URI: process.env.MONGODB_URI ?? '' },
  });
  const db = await connectDatabase(database.uri);
  await ensureIndexes(db.models);
  const have = await db.models.Customer.estimatedDocumentCount();
  if (have >= opts.customers) {
    console.log(`bench database: reusing ${have.toLocaleString()} customers in ${dataDir}`);
  } else {
    console.log(
      `bench database: seeding ${opts.customers.toLocaleString()} customers into ${dataDir} (once; later runs reuse it)…`,
    );
    const started = Date.now();
    let last = 0;
    await seedDatabase(db.models, {
      customers: opts.customers,
      seed: 1,
      onProgress: (done, total) => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        console.log(`  ${done.toLocaleString()} / ${total.toLocaleString()} customers`);
      },
    });
    console.log(`bench database: seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return {
    db,
    uri: database.uri,
    ...(database.pid ? { pid: database.pid } : {}),
    async stop() {
      await db.close();
      await database.stop();
    },
  };
}

/**
 * Every customer's pop summary, as the worker's backfill leaves a first start (run here once, before
 * the measured phases, so a phase does not measure the backfill). `stale`: the data changed while no
 * watcher ran (the benchmarks' clean-ups), so every summary is made again.
 */
export async function readyPopSummaries(bench: BenchDatabase, opts: { stale: boolean }): Promise<void> {
  const { models } = bench.db;
  const mongo = bench.db.conn.db;
  if (!mongo) throw new Error('no database');
  const customers = await models.Customer.estimatedDocumentCount();
  // The watcher's stored position, when the server no longer keeps the changes since (a database
  // left for a day): the worker would rebuild every summary in the background, during the phases.
  const state = await models.PopSummaryState.findById(STATE_ID).lean();
  const lost = state?.token !== undefined && !(await resumable(mongo, state.token as ResumeToken));
  const stale = opts.stale || lost;
  if (!stale && (await models.PopSummary.estimatedDocumentCount()) >= customers) return;
  // A position from before the summaries are written: the worker resumes from it (whatever changes
  // meanwhile it sees) instead of walking every customer again as on a first start.
  const stream = mongo.watch([], { maxAwaitTimeMS: 10 });
  await stream.tryNext();
  const token = stream.resumeToken;
  await stream.close();
  if (stale) await models.PopSummary.deleteMany({});
  console.log(
    `bench database: writing the pop summaries of ${customers.toLocaleString()} customers${lost ? ' (the watcher could not resume from where it stopped)' : ''}…`,
  );
  const started = Date.now();
  let last = 0;
  const done = await backfillPopSummaries({
    models,
    clock: systemClock,
    progress: (n) => {
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      console.log(`  ${n.toLocaleString()} / ${customers.toLocaleString()} customers`);
    },
  });
  await models.PopSummaryState.updateOne(
    { _id: STATE_ID },
    { $set: { token, at: new Date(0) }, $unset: { stoppedAt: 1 } },
    { upsert: true },
  );
  console.log(
    `bench database: ${done.written.toLocaleString()} pop summaries written in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

/** Whether a change stream can still resume from `token`. */
async function resumable(mongo: Db, token: ResumeToken): Promise<boolean> {
  const stream = mongo.watch([], { resumeAfter: token, maxAwaitTimeMS: 10 });
  try {
    await stream.tryNext();
    return true;
  } catch (err) {
    if (historyLost(err)) return false;
    throw err;
  } finally {
    await stream.close().catch(() => undefined);
  }
}
