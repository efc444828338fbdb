// npm run bench:seed -- --customers N [--seed S] [--batch-size B] [--in-flight K] [--keep]
// Seeds a throw-away database (its own server on a temporary data directory, whatever
// MONGODB_URI says) and prints time, throughput, peak memory and database size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { connectDatabase } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import {
  UsageError,
  databaseSize,
  formatReport,
  parseCli,
  processCpuSeconds,
  processPeakRss,
  progressDisplay,
} from '../server/src/seed/cli';
import { seedDatabase } from '../server/src/seed/seed';
import { startDatabase } from '../server/src/db/embedded-db.mjs';

const USAGE = 'usage: npm run bench:seed -- [--customers N] [--seed S] [--batch-size B] [--in-flight K] [--keep]';

const count = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

const argsSchema = z.object({
  help: z.boolean().default(false),
  customers: count(0, 50_000_000).default(100_000),
  seed: count(0, 0xffff_ffff).default(1),
  'batch-size': count(1, 100_000).default(10_000),
  'in-flight': count(1, 64).default(2),
  keep: z.boolean().default(false),
});

async function main(): Promise<number> {
  const args = parseCli(
    process.argv.slice(2),
    {
      help: { type: 'boolean', short: 'h' },
      customers: { type: 'string', short: 'n' },
      seed: { type: 'string', short: 's' },
      'batch-size': { type: 'string' },
      'in-flight': { type: 'string' },
      keep: { type: 'boolean' },
    },
    argsSchema,
  );
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ringside-bench-seed-'));
  const started = performance.now();
  const database = await startDatabase({
    dataDir: join(dir, 'db'),
    env: { ...process.env, MONGODB_URI: '' },
    dbName: 'ringside_bench',
  });
  console.error(`database: ${database.kind} on port ${database.port ?? '?'}, data in ${dir}`);
  const db = await connectDatabase(database.uri);
  try {
    await ensureIndexes(db.models);
    const progress = progressDisplay('bench');
    const report = await seedDatabase(db.models, {
      customers: args.customers,
      seed: args.seed,
      batchSize: args['batch-size'],
      batchesInFlight: args['in-flight'],
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.stop();
    // Server usage before dbStats, which makes the server read everything.
    const server = { peakRss: processPeakRss(database.pid), cpuSeconds: processCpuSeconds(database.pid) };
    const size = await databaseSize(db.conn);
    console.log(formatReport(report, { ...(size ? { size } : {}), wallMs: performance.now() - started, server }));
    return 0;
  } finally {
    await db.close();
    await database.stop();
    if (args.keep) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`bench:seed: ${err.message} (${USAGE})`);
      process.exit(2);
    }
    console.error(`bench:seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
