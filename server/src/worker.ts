// The worker: the batch jobs (the dunning scan, the suggestions runs, the pop summaries) apart from the call path.
// `npm start` runs it beside the web process; `--role worker` runs it alone (scale-out), and
// `--role all` runs it inside the web process (a small install, tests).
import type { TwilioProvider } from '@ringside/telephony';
import type { Config } from './config/env';
import type { Database } from './db/connection';
import type { Logger } from './logger';
import type { Clock } from './clock';
import { createScheduler, WORKER_JOBS, type Scheduler } from './jobs/scheduler';
import { Pacer, UPKEEP_PACING } from './jobs/pacer';
import { CustomerService } from './customers/customers.service';
import { AuditService } from './audit/audit.service';
import { CallbackService } from './callbacks/callbacks.service';
import { createDunningService } from './dunning/create';
import { localScans } from './dunning/scans';
import { startPopSummaries } from './screen-pop/summaries';

/** A database with fewer orders than this gets its first suggestions at once (the demo); a larger one waits for its window. */
const FIRST_RUN_AT_ONCE_ORDERS = 200_000;
/** …and its customers' pop summaries at once below this many customers. */
const FIRST_RUN_AT_ONCE_CUSTOMERS = 50_000;

export interface Worker {
  jobs: Scheduler;
  stop(): Promise<void>;
}

export async function startWorker(deps: {
  config: Config;
  db: Database;
  logger: Logger;
  clock: Clock;
  twilio: TwilioProvider;
  name?: string;
}): Promise<Worker> {
  const { config, db, clock } = deps;
  const logger = deps.logger.child({ role: 'worker' });
  const jobs = createScheduler(
    { db, logger, clock },
    { run: WORKER_JOBS, pacer: config.jobs.pacer, ...(deps.name ? { name: deps.name } : {}) },
  );
  const customers = new CustomerService(db.models, config.defaultCountry);
  const audit = new AuditService(db.models, clock);
  // No sockets here: an agent given a dunning callback sees it when it is offered, and in their list.
  const callbacks = new CallbackService({ models: db.models, clock, customers, defaultCountry: config.defaultCountry });
  const dunning = createDunningService({ config, db, logger, clock, sms: deps.twilio, callbacks, audit, customers });
  jobs.dunning.use(localScans({ service: dunning, runs: jobs.runs, logger, pace: jobs.pacer.lane() }));
  await jobs.start();
  // Every customer's pop kept in one document (a call reads it in one go), giving way to the call path too.
  const popSummaries = await startPopSummaries({ db, logger, clock }, await popSummaryOptions(db, jobs, logger, clock));
  await firstSuggestions(db, jobs, logger);
  logger.info('worker started');
  return {
    jobs,
    async stop() {
      await popSummaries.stop();
      await jobs.stop();
      await dunning.close();
    },
  };
}

/**
 * The first start's backfill of every customer's pop summary runs at once on a small database (the
 * demo); on a large one it would be hours of reads while the first calls come in, so it waits for
 * `scripts/backfill-pop-summaries.ts` (run it in a quiet hour). Meanwhile a caller without a summary
 * gets the full build, which writes theirs.
 */
async function popSummaryOptions(db: Database, jobs: Scheduler, logger: Logger, clock: Clock) {
  const customers = await db.models.Customer.estimatedDocumentCount();
  const backfill = customers < FIRST_RUN_AT_ONCE_CUSTOMERS;
  if (!backfill && (await db.models.PopSummary.estimatedDocumentCount()) < customers)
    logger.info(
      { customers },
      'pop summaries: not filled in at start on a database this large; run scripts/backfill-pop-summaries.ts in a quiet hour (callers without one get the full build meanwhile)',
    );
  return { pace: jobs.pacer.lane(), upkeepPace: upkeepPacer(db, logger, clock), backfill };
}

/** The watcher's own pacer: it gives way to the call path briefly (UPKEEP_PACING). */
export function upkeepPacer(db: Database, logger: Logger, clock: Clock): () => Promise<void> {
  return new Pacer({ models: db.models, clock, logger }, UPKEEP_PACING).pace;
}

/**
 * A new recurring job does not run at once (skipImmediate). A database without suggestions gets its
 * first full run now when it is small (the demo), and otherwise in the nightly window, unless an
 * admin starts it (`POST /api/suggestions/run`): on a first deployment of a real customer base a
 * run over millions of orders would start while the first calls come in.
 */
export async function firstSuggestions(db: Database, jobs: Scheduler, logger: Logger): Promise<void> {
  if ((await db.models.CustomerSuggestions.estimatedDocumentCount()) > 0) return;
  const orders = await db.models.Order.estimatedDocumentCount();
  if (orders < FIRST_RUN_AT_ONCE_ORDERS) {
    await jobs.suggestions.runFullNow();
    return;
  }
  logger.info(
    { orders },
    'suggestions: none yet; the first full run waits for the nightly window (an admin can start it: POST /api/suggestions/run)',
  );
}
