// npm exec tsx scripts/backfill-pop-summaries.ts -- [--batch N] [--rebuild]
// Fills in the pop summary of every customer of the database `npm start` serves (<DATA_DIR>/db, or
// MONGODB_URI) that has none (`--rebuild`: of every customer), in bounded `_id` ranges. Safe beside
// a running watcher: a summary written meanwhile is kept. Start the watcher (the worker) first, so
// that changes made during the backfill are followed too.
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../server/src/config/env';
import { connectDatabase } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import { UsageError, parseCli } from '../server/src/seed/cli';
import { systemClock } from '../server/src/clock';
import { createLogger } from '../server/src/logger';
import { backfillPopSummaries } from '../server/src/screen-pop/summaries';
import { startDatabase } from '../server/src/db/embedded-db.mjs';

const USAGE = 'usage: tsx scripts/backfill-pop-summaries.ts [--batch N] [--rebuild]';

const argsSchema = z.object({
  help: z.boolean().default(false),
  batch: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(10_000, { error: 'must be at most 10,000' })
    .default(500),
  rebuild: z.boolean().default(false),
});

async function main(): Promise<number> {
  const args = parseCli(
    process.argv.slice(2),
    { help: { type: 'boolean', short: 'h' }, batch: { type: 'string' }, rebuild: { type: 'boolean' } },
    argsSchema,
  );
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  const database = await startDatabase({ dataDir: resolve(config.dataDir, 'db'), log: (line) => console.error(line) });
  const db = await connectDatabase(database.uri);
  try {
    await ensureIndexes(db.models);
    const started = performance.now();
    const done = await backfillPopSummaries(
      { models: db.models, clock: systemClock, logger: createLogger(config.logLevel) },
      { batch: args.batch, rebuild: args.rebuild },
    );
    console.log(
      `pop summaries: ${done.written} written for ${done.customers} customers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return 0;
  } finally {
    await db.close().catch(() => undefined);
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`backfill-pop-summaries: ${err.message} (${USAGE})`);
      process.exit(2);
    }
    console.error(`backfill-pop-summaries failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
