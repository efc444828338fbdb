// The dunning scan on Agenda: a recurring full scan (hourly by default: steps wait for calling
// hours and promise dates, which do not keep to a daily rhythm), and one asked for now (an admin).
// One scan at a time across every process (jobs/job-runs.ts); each step is exactly-once on its own
// (see DunningService). Only a process that runs the jobs defines it; any process may queue one.
import type { Agenda, Job } from 'agenda';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import { saveJob } from '../jobs/save-job';
import { DUNNING_SCAN, type DunningScans } from './scans';

export { DUNNING_SCAN } from './scans';

export interface DunningJobsOptions {
  /** When the scan repeats: cron or an Agenda interval (default minute 5 of every hour). */
  scanSchedule?: string;
  /** Time zone of a cron schedule (default UTC). */
  timezone?: string;
}

export interface DunningJobs {
  /** How this process scans (the app builds the service after the scheduler). */
  use(scans: DunningScans): void;
  /** Queue a scan now, next to the scheduled ones (two asked for at once are one scan). */
  runNow(): Promise<void>;
  /** Put the recurring scan on the schedule (one job document whatever the number of processes). */
  schedule(): Promise<void>;
}

/** The scan extends its lock this often (Agenda frees locks older than lockLifetime). */
const TOUCH_EVERY_MS = 60_000;

export function defineDunningJobs(
  agenda: Agenda,
  deps: {
    logger: Logger;
    signal: AbortSignal;
    /** Whether this process runs scans (default true). */ process?: boolean;
  },
  options: DunningJobsOptions = {},
): DunningJobs {
  let scans: DunningScans | undefined;
  if (deps.process !== false)
    agenda.define(
      DUNNING_SCAN,
      async (job: Job<unknown>): Promise<void> => {
        if (!scans)
          throw new Error('dunning: the scan ran before the application was ready; it runs again at the next interval');
        let lastTouch = Date.now();
        try {
          const report = await scans.run({
            signal: deps.signal,
            onProgress: ({ phase, done }) => {
              if (Date.now() - lastTouch < TOUCH_EVERY_MS) return;
              lastTouch = Date.now();
              deps.logger.info({ phase, done }, 'dunning: scan in progress');
              void job
                .touch()
                .catch((err: unknown) => deps.logger.warn({ err }, 'dunning: could not extend the job lock'));
            },
          });
          deps.logger.info({ jobId: job.attrs._id?.toString(), ...report }, 'dunning: scan finished');
        } catch (err) {
          // An admin's scan runs already: this one has nothing left to do.
          if (err instanceof AppError && err.code === 'conflict') {
            deps.logger.info({ running: err.details }, 'dunning: a scan is already running; skipped');
            return;
          }
          throw err;
        }
      },
      { concurrency: 1, lockLimit: 1, lockLifetime: 10 * 60_000 },
    );
  return {
    use(s) {
      scans = s;
    },
    async runNow() {
      // One pending "now" at a time: a second request joins the first instead of queueing a second scan.
      await saveJob(
        () =>
          agenda
            .create(DUNNING_SCAN, { asked: true })
            .unique({ 'data.asked': true, lockedAt: null, nextRunAt: { $ne: null } })
            .schedule(new Date())
            .save(),
        { logger: deps.logger, job: DUNNING_SCAN },
      );
    },
    async schedule() {
      // Every process puts the scan on the schedule at start; saveJob covers two at once.
      await saveJob(
        () =>
          agenda.every(options.scanSchedule ?? '5 * * * *', DUNNING_SCAN, undefined, {
            timezone: options.timezone ?? 'UTC',
            skipImmediate: true,
          }),
        { logger: deps.logger, job: DUNNING_SCAN },
      );
    },
  };
}
