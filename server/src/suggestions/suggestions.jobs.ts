// The suggestions job on Agenda: a full run on a schedule (nightly by default) and a
// per-customer recompute queued when an order arrives (debounced per customer, so a burst of
// orders computes once).
import type { Agenda, Job } from 'agenda';
import { Types } from 'mongoose';
import { z } from 'zod';
import { objectIdOf } from '@ringside/shared';
import type { Logger } from '../logger';
import { saveJob } from '../jobs/save-job';
import type { JobRuns } from '../jobs/job-runs';
import type { Pace } from '../jobs/pacer';
import { AppError } from '../errors';
import type { FullRunReport, SuggestionsService } from './suggestions.service';

export const SUGGESTIONS_FULL = 'suggestions:full';
export const SUGGESTIONS_CUSTOMER = 'suggestions:customer';

export interface SuggestionJobsOptions {
  /** When the full run repeats: cron or an Agenda interval (default 03:00 every night). */
  fullRunSchedule?: string;
  /** Time zone of a cron schedule (default UTC). */
  timezone?: string;
  /**
   * A customer's recompute waits this long after their last order (default 10 s)… Keep it
   * longer than the scheduler's processEvery: Agenda locks a job that is due before its next
   * look, and an order after that gets a run of its own.
   */
  customerDebounceMs?: number;
  /** …but no longer than this after the first (default 60 s). */
  customerMaxWaitMs?: number;
  /** Concurrent per-customer recomputes per process (default 4). */
  customerConcurrency?: number;
}

export interface SuggestionJobs {
  /** Queue a recompute of one customer's suggestions (call it after an order is saved). */
  enqueueCustomerRecompute(customerId: Types.ObjectId | string): Promise<void>;
  /** Queue a full run now, next to the scheduled one. */
  runFullNow(): Promise<void>;
  /** Put the recurring full run on the schedule (idempotent: one job document whatever the number of processes). */
  schedule(): Promise<void>;
}

const customerJobData = z.object({
  customerId: objectIdOf('a customer id'),
});
type CustomerJobData = z.infer<typeof customerJobData>;

/** The full run extends its lock this often (Agenda frees locks older than lockLifetime). */
const TOUCH_EVERY_MS = 60_000;
const FULL_LOCK_LIFETIME_MS = 10 * 60_000;

export function defineSuggestionJobs(
  agenda: Agenda,
  deps: {
    service: SuggestionsService;
    logger: Logger;
    signal: AbortSignal;
    /** Whether this process runs the suggestions jobs (default true); any process may queue them. */
    process?: boolean;
    /** One full run at a time across every process (a second asked for meanwhile is skipped). */
    runs?: JobRuns;
    pace?: Pace;
  },
  options: SuggestionJobsOptions = {},
): SuggestionJobs {
  const { service, logger, signal } = deps;
  if (deps.process === false) return scheduling(agenda, deps, options);

  agenda.define(
    SUGGESTIONS_FULL,
    async (job: Job<void>): Promise<void> => {
      let run: Awaited<ReturnType<JobRuns['begin']>> | undefined;
      try {
        run = await deps.runs?.begin(SUGGESTIONS_FULL);
      } catch (err) {
        if (err instanceof AppError && err.code === 'conflict') {
          logger.info({ running: err.details }, 'suggestions: a full run is already under way; skipped');
          return;
        }
        throw err;
      }
      let lastTouch = Date.now();
      try {
        const report: FullRunReport = await service.runFull({
          signal,
          ...(deps.pace ? { pace: deps.pace } : {}),
          onProgress: ({ phase, orders }) => {
            run?.progress(phase, orders);
            if (Date.now() - lastTouch < TOUCH_EVERY_MS) return;
            lastTouch = Date.now();
            logger.info({ phase, orders }, 'suggestions: full run in progress');
            void job
              .touch()
              .catch((err: unknown) => logger.warn({ err }, 'suggestions: could not extend the job lock'));
          },
        });
        await run?.finish(report);
        logger.info({ jobId: job.attrs._id?.toString(), ...report }, 'suggestions: full run job finished');
      } catch (err) {
        await run?.fail(err).catch(() => undefined);
        throw err;
      }
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: FULL_LOCK_LIFETIME_MS },
  );

  agenda.define(
    SUGGESTIONS_CUSTOMER,
    async (job: Job<CustomerJobData>): Promise<void> => {
      const data = customerJobData.safeParse(job.attrs.data);
      if (!data.success) throw new Error(`bad ${SUGGESTIONS_CUSTOMER} job data: ${z.prettifyError(data.error)}`);
      const items = await service.recomputeCustomer(new Types.ObjectId(data.data.customerId));
      logger.debug({ customerId: data.data.customerId, suggestions: items.length }, 'suggestions: customer recomputed');
    },
    // Short lock: a recompute takes milliseconds, and a lock left by a stopped process should
    // not hold a customer's recompute back for long.
    { concurrency: options.customerConcurrency ?? 4, removeOnComplete: true, lockLifetime: 60_000 },
  );

  return scheduling(agenda, deps, options);
}

/** Queuing and scheduling the suggestions jobs: what every process may do, whether it runs them or not. */
function scheduling(agenda: Agenda, deps: { logger: Logger }, options: SuggestionJobsOptions): SuggestionJobs {
  const { logger } = deps;
  const debounceMs = options.customerDebounceMs ?? 10_000;
  const maxWaitMs = options.customerMaxWaitMs ?? 60_000;
  return {
    async enqueueCustomerRecompute(customerId) {
      const id = customerId.toString();
      if (!Types.ObjectId.isValid(id) || id.length !== 24) throw new TypeError(`not a customer id: ${id}`);
      const data: CustomerJobData = { customerId: id.toLowerCase() };
      // One pending job per customer: a new order pushes it back (debounce) instead of adding
      // another. A job already locked (running, or about to) is not matched, so an order that
      // arrives while it runs gets a run of its own and is never missed.
      // Two enqueues at once may race on the upsert of that one job: saveJob saves again.
      await saveJob(
        () =>
          agenda
            .create(SUGGESTIONS_CUSTOMER, data)
            .unique({ 'data.customerId': data.customerId, lockedAt: null, nextRunAt: { $ne: null } })
            .debounce(debounceMs, { maxWait: maxWaitMs })
            .save(),
        { logger, job: SUGGESTIONS_CUSTOMER },
      );
    },
    async runFullNow() {
      await saveJob(() => agenda.now(SUGGESTIONS_FULL), { logger, job: SUGGESTIONS_FULL });
    },
    async schedule() {
      await saveJob(
        () =>
          agenda.every(options.fullRunSchedule ?? '0 3 * * *', SUGGESTIONS_FULL, undefined, {
            timezone: options.timezone ?? 'UTC',
            skipImmediate: true,
          }),
        { logger, job: SUGGESTIONS_FULL },
      );
    },
  };
}
