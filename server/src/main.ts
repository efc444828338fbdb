// Wires the real parts: configuration, logger, database (embedded unless MONGODB_URI is set),
// demo data on first start, HTTP + Socket.IO, and a graceful shutdown.
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/env';
import { createLogger } from './logger';
import { connectDatabase } from './db/connection';
import { ensureIndexes } from './db/models';
import { systemClock } from './clock';
import { startServer } from './server';
import { seedDemoIfEmpty } from './seed/demo';
import { startDatabase } from '../../scripts/embedded-db.mjs';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  const database = await startDatabase({
    dataDir: resolve(config.dataDir, 'db'),
    log: (line) => logger.info(line),
  });
  const db = await connectDatabase(database.uri);
  await ensureIndexes(db.models);
  if (config.seedDemo) await seedDemoIfEmpty(db.models, { customers: config.demoCustomers, logger });

  const server = await startServer({ config, db, logger, clock: systemClock }, { port: config.port, host: config.host });
  logger.info({ url: `http://localhost:${server.port}`, db: database.kind }, 'Ringside is up');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    await server.close();
    await db.close();
    await database.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Ringside failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
