import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../config/env';
import { connectDatabase, type Database } from '../db/connection';
import { ensureIndexes } from '../db/models';
import { createLogger, secretsOf, type Logger } from '../logger';
import { startServer, type RunningServer } from '../server';
import { systemClock, type Clock } from '../clock';
import type { AppDeps } from '../app';

/** The URI of a database nobody else uses, on the test run's server. */
export function freshDatabaseUri(): string {
  const name = `ringside_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(inject('mongoUri'));
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh database with every index, dropped by `drop()`. */
export async function freshDatabase(): Promise<Database & { drop(): Promise<void> }> {
  const db = await connectDatabase(freshDatabaseUri());
  await ensureIndexes(db.models);
  return Object.assign(db, {
    async drop() {
      await db.conn.dropDatabase();
      await db.close();
    },
  });
}

/** One random signing secret per test process: servers a test starts side by side accept each other's tokens. */
const TEST_JWT_SECRET = randomBytes(32).toString('base64url');

export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    // Tests that move their clock by days would see every call as quiet: the reconciler's own tests turn it on.
    CALL_RECONCILE_EVERY_MS: '0',
    // …and every offer as overdue: the sweep's own test turns it on.
    OFFER_SWEEP_EVERY_MS: '0',
    ...overrides,
  });
}

export interface TestServer extends RunningServer {
  db: Database & { drop?(): Promise<void> };
  config: Config;
  stop(): Promise<void>;
}

/** The real app on port 0 against `db` (a fresh database when omitted). */
export async function startTestServer(
  opts: {
    db?: Database;
    env?: NodeJS.ProcessEnv;
    clock?: Clock;
    providers?: AppDeps['providers'];
    /** How the app reaches the jobs (default: a dunning scan runs in the app). */
    jobs?: AppDeps['jobs'];
    /** The server's logger (default: at LOG_LEVEL, silent in tests). */
    logger?: Logger;
  } = {},
): Promise<TestServer> {
  const config = testConfig(opts.env);
  const db = opts.db ?? (await freshDatabase());
  const logger = opts.logger ?? createLogger(config.logLevel, {}, secretsOf(config));
  const server = await startServer(
    {
      config,
      db,
      logger,
      clock: opts.clock ?? systemClock,
      ...(opts.providers ? { providers: opts.providers } : {}),
      ...(opts.jobs ? { jobs: opts.jobs } : {}),
    },
    { port: 0, host: '127.0.0.1' },
  );
  return Object.assign(server, {
    db,
    config,
    async stop() {
      await server.close();
    },
  });
}
