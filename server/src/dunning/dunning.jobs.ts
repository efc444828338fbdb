// The dunning scan on Agenda: a recurring full scan (hourly by default: steps wait for calling
// hours and promise dates, which do not keep to a daily rhythm). One scan at a time across
// every process (Agenda's lock); each step is exactly-once on its own (see DunningService).
import type { Agenda, Job } from 'agenda';
import type { Logger } from '../logger';
import { saveJob } from '../jobs/save-job';
import type { DunningService } from './dunning.service';

export const DUNNING_SCAN = 'dunning:scan';

export interface DunningJobsOptions {
  /** When the scan repeats: cron or an Agenda interval (default minute 5 of every hour). */
  scanSchedule?: string;
  /** Time zone of a cron schedule (default UTC). */
  timezone?: string;
}

export interface DunningJobs {
  /** The service the job runs (the app builds it after the scheduler). */
  use(service: Pick<DunningService, 'scan'>): void;
  /** Queue a scan now, next to the scheduled ones. */
  runNow(): Promise<void>;
  /** Put the recurring scan on the schedule (one job document whatever the number of processes). */
  schedule(): Promise<void>;
}

/** The scan extends its lock this often (Agenda frees locks older than lockLifetime). */
const TOUCH_EVERY_MS = 60_000;

export function defineDunningJobs(
  agenda: Agenda,
  deps: { logger: Logger; signal: AbortSignal },
  options: DunningJobsOptions = {},
): DunningJobs {
  let service: Pick<DunningService, 'scan'> | undefined;
  agenda.define(
    DUNNING_SCAN,
    async (job: Job<void>): Promise<void> => {
      if (!service)
        throw new Error('dunning: the scan ran before the application was ready; it runs again at the next interval');
      let lastTouch = Date.now();
      const report = await service.scan({
        signal: deps.signal,
        onProgress: ({ phase, done }) => {
          if (Date.now() - lastTouch < TOUCH_EVERY_MS) return;
          lastTouch = Date.now();
          deps.logger.info({ phase, done }, 'dunning: scan in progress');
          void job.touch().catch((err: unknown) => deps.logger.warn({ err }, 'dunning: could not extend the job lock'));
        },
      });
      deps.logger.info({ jobId: job.attrs._id?.toString(), ...report }, 'dunning: scan finished');
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: 10 * 60_000 },
  );
  return {
    use(s) {
      service = s;
    },
    async runNow() {
      await saveJob(() => agenda.now(DUNNING_SCAN), { logger: deps.logger, job: DUNNING_SCAN });
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
