// Wires the real parts: configuration, logger, database (embedded unless MONGODB_URI is set),
// demo data on first start, HTTP + Socket.IO, the jobs, and a graceful shutdown.
//
// Roles (`--role`): by default the web process (HTTP, sockets, the call path, the callback dialer)
// starts one worker process beside it for the batch jobs (dunning scans, suggestions runs), so that
// they never hold up a pop. `--role web` and `--role worker` run one of the two (scale-out: several
// web processes behind a load balancer, one or more workers); `--role all` runs both in one process.
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/env';
import { keptSecrets } from './config/secrets';
import { createLogger, secretsOf } from './logger';
import { connectDatabase } from './db/connection';
import { ensureIndexes } from './db/models';
import { systemClock } from './clock';
import { startServer } from './server';
import { createScheduler, WEB_JOBS } from './jobs/scheduler';
import { spawnWorker, leaveWithParent, type WorkerProcess } from './jobs/worker-process';
import { firstSuggestions, startWorker, upkeepPacer } from './worker';
import { localScans, queuedScans } from './dunning/scans';
import { roleOf } from './roles';
import { startPopSummaries, type PopSummaries } from './screen-pop/summaries';
import { logFirstCallSteps, seedDemoIfEmpty } from './seed/demo';
import { prepareConsole } from './http/console';
import { startDatabase } from './db/embedded-db.mjs';
import { AsteriskProvider, TwilioProvider } from '@ringside/telephony';
import { startDemoTwilio } from './demo/twilio-sandbox';

async function main(): Promise<void> {
  const role = roleOf(process.argv.slice(2));
  if (typeof role === 'string' && role.startsWith('error:')) {
    process.stderr.write(`${role.slice(6)}\n`);
    process.exit(2);
  }
  // A worker started by a web process goes with it, from the first moment.
  const parent = role === 'worker' ? leaveWithParent() : undefined;
  let config: Config;
  let secrets: ReturnType<typeof keptSecrets> | undefined;
  try {
    config = loadConfig(process.env, { secrets: (dataDir) => (secrets = keptSecrets(resolve(dataDir))) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // A person at a terminal gets readable lines; everywhere else, JSON for the log pipeline.
  const pretty = process.stdout.isTTY && config.env !== 'production';
  const logger = createLogger(
    config.logLevel,
    pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' },
          },
        }
      : {},
    secretsOf(config),
  );
  if (secrets) {
    const said = { path: secrets.path, variables: config.generatedSecrets };
    if (secrets.created)
      logger.warn(said, 'no secrets in the environment: generated random ones, kept in the data directory');
    else logger.info(said, 'no secrets in the environment: signing with the ones kept in the data directory');
  }

  const database = await startDatabase({
    dataDir: resolve(config.dataDir, 'db'),
    log: (line) => logger.info(line),
  });
  const db = await connectDatabase(database.uri);
  if (role === 'worker') return runWorker({ config, db, logger, stopDatabase: () => database.stop(), parent });
  await ensureIndexes(db.models);
  const demoSeeded = config.seedDemo && (await seedDemoIfEmpty(db.models, { customers: config.demoCustomers, logger }));
  const jobs = createScheduler({ db, logger, clock: systemClock }, role === 'all' ? {} : { run: WEB_JOBS });

  const twilioSandbox = await startDemoTwilio(config, logger);
  const twilio = new TwilioProvider({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    apiBase: twilioSandbox?.url ?? config.twilio.apiBase,
    publicUrl: config.publicUrl,
    ...(config.holdMusicUrl ? { holdMusicUrl: config.holdMusicUrl } : {}),
  });

  const asterisk = config.ari.url
    ? new AsteriskProvider({
        url: config.ari.url,
        username: config.ari.username,
        password: config.ari.password,
        app: config.ari.app,
        clock: systemClock,
        log: (level, msg, data) => logger[level]({ ...data, provider: 'asterisk' }, msg),
      })
    : undefined;

  await prepareConsole({ logger, production: config.env === 'production' });
  const server = await startServer(
    {
      config,
      db,
      logger,
      clock: systemClock,
      providers: { twilio, ...(asterisk ? { asterisk } : {}) },
      orderListener: { orderPlaced: (customerId) => jobs.suggestions.enqueueCustomerRecompute(customerId) },
      jobs: {
        queueSuggestionsRun: () => jobs.suggestions.runFullNow(),
        pace: jobs.pacer.lane(),
        // Beside a worker, a scan asked for over HTTP is the worker's; run here, it is this process's.
        ...(role === 'all'
          ? {}
          : {
              dunningScans: queuedScans({ runs: jobs.runs, clock: systemClock, enqueue: () => jobs.dunning.runNow() }),
            }),
      },
    },
    { port: config.port, host: config.host },
  );
  jobs.callbacks.use(server.app.dialer);
  await jobs.start();
  // `--role all`: the batch jobs run in this process too, giving way to the call path all the same.
  let popSummaries: PopSummaries | undefined;
  if (role === 'all') {
    jobs.dunning.use(localScans({ service: server.app.dunning, runs: jobs.runs, logger, pace: jobs.pacer.lane() }));
    popSummaries = await startPopSummaries(
      { db, logger, clock: systemClock },
      { pace: jobs.pacer.lane(), upkeepPace: upkeepPacer(db, logger, systemClock) },
    );
    await firstSuggestions(db, jobs, logger);
  }
  // By default one worker process beside this one, on the same database and Twilio endpoint.
  const workerProcess: WorkerProcess | undefined =
    role === 'launch'
      ? spawnWorker({
          logger,
          env: {
            MONGODB_URI: database.uri,
            ...(twilioSandbox ? { TWILIO_API_BASE: twilioSandbox.url } : {}),
            SEED_DEMO: 'false',
          },
        })
      : undefined;
  if (asterisk)
    void startWithRetry(
      () => asterisk.start(),
      (err, inMs) => logger.error({ err, retryInMs: inMs }, 'ARI connection failed'),
    );
  logger.info({ url: `http://localhost:${server.port}`, db: database.kind, role }, 'Ringside is up');
  if (demoSeeded) logFirstCallSteps(logger, `http://localhost:${server.port}`);

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
    await workerProcess?.stop();
    await popSummaries?.stop();
    await jobs.stop();
    await asterisk?.close();
    await twilioSandbox?.close();
    await db.close();
    await database.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** `--role worker`: the batch jobs only, until SIGTERM/SIGINT or the parent process goes. */
async function runWorker(deps: {
  config: Config;
  db: Awaited<ReturnType<typeof connectDatabase>>;
  logger: ReturnType<typeof createLogger>;
  stopDatabase: () => Promise<void>;
  parent: ReturnType<typeof leaveWithParent> | undefined;
}): Promise<void> {
  const { config, db, logger } = deps;
  await ensureIndexes(db.models);
  const twilio = new TwilioProvider({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    apiBase: config.twilio.apiBase,
    publicUrl: config.publicUrl,
  });
  const worker = await startWorker({ config, db, logger, clock: systemClock, twilio });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'worker shutting down');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    await worker.stop();
    await db.close();
    await deps.stopDatabase();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  deps.parent?.onGone(() => void shutdown('the web process went'));
}

/** Keeps trying to connect a provider that is down at start (1 s, doubling up to 30 s). */
async function startWithRetry(
  start: () => Promise<void>,
  onError: (err: unknown, retryInMs: number) => void,
): Promise<void> {
  for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
    try {
      return await start();
    } catch (err) {
      onError(err, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Ringside failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
