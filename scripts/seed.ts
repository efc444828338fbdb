// npm run seed -- --customers N [--seed S] [--reset] [--now today|YYYY-MM-DD]
// Seeds the database `npm start` serves (<DATA_DIR>/db, or MONGODB_URI): indexes, demo users,
// then deterministic demo data. Seeding the same seed again adds nothing.
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../server/src/config/env';
import { connectDatabase } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import { UsageError, databaseSize, formatReport, parseCli, progressDisplay } from '../server/src/seed/cli';
import { DEFAULT_SEED_NOW, seedDatabase, seedDemoUsers } from '../server/src/seed/seed';
import { startDatabase } from '../server/src/db/embedded-db.mjs';

const USAGE = 'usage: npm run seed -- [--customers N] [--seed S] [--reset] [--now today|YYYY-MM-DD]';

const argsSchema = z.object({
  help: z.boolean().default(false),
  customers: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be 0 or more' })
    .max(50_000_000, { error: 'must be at most 50,000,000' })
    .default(2000),
  seed: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be between 0 and 4294967295' })
    .max(0xffff_ffff, { error: 'must be between 0 and 4294967295' })
    .default(1),
  reset: z.boolean().default(false),
  now: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return DEFAULT_SEED_NOW;
      if (value === 'today') {
        const today = new Date();
        return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
      }
      const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(Number.NaN);
      // Date rolls 2026-02-30 over to March; insist on a real calendar day.
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
        ctx.addIssue({ code: 'custom', message: `must be "today" or a date like 2026-11-01 (got "${value}")` });
        return z.NEVER;
      }
      return date;
    }),
});

async function main(): Promise<number> {
  const args = parseCli(
    process.argv.slice(2),
    {
      help: { type: 'boolean', short: 'h' },
      customers: { type: 'string', short: 'n' },
      seed: { type: 'string', short: 's' },
      reset: { type: 'boolean' },
      now: { type: 'string' },
    },
    argsSchema,
  );
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // Demo users have a published password.
  if (process.env.NODE_ENV === 'production')
    throw new UsageError('refusing to seed demo data with NODE_ENV=production');
  const config = loadConfig(process.env);

  const started = performance.now();
  const database = await startDatabase({ dataDir: resolve(config.dataDir, 'db'), log: (line) => console.error(line) });
  const db = await connectDatabase(database.uri);
  const stop = async () => {
    await db.close().catch(() => undefined);
    await database.stop();
  };
  const interrupted = () => {
    console.error(
      '\ninterrupted: stopping (documents written so far stay; run the same command again to complete them)',
    );
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    if (args.reset) {
      console.error(`dropping database ${db.conn.name}`);
      await db.conn.dropDatabase();
    }
    await ensureIndexes(db.models);
    await seedDemoUsers(db.models);
    const progress = progressDisplay('seeding');
    console.error(
      `seeding ${args.customers} customers, seed ${args.seed}, dates up to ${args.now.toISOString().slice(0, 10)}`,
    );
    const report = await seedDatabase(db.models, {
      customers: args.customers,
      seed: args.seed,
      now: args.now,
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.stop();
    console.log(formatReport(report, { size: await databaseSize(db.conn), wallMs: performance.now() - started }));
    return 0;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`seed: ${err.message} (${USAGE})`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      console.error(`seed: ${err.message}`);
      process.exit(2);
    }
    console.error(`seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
