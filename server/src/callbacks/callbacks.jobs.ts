// Due callbacks on Agenda: one recurring job looks for callbacks whose time has come (and
// personal offers nobody took) and offers them. Every step of the dialer is a conditional
// update, so the job may run in several processes, be retried after a crash, or overlap a
// slow run of itself without anything being offered or dialed twice.
import type { Agenda } from 'agenda';
import type { Logger } from '../logger';
import { saveJob } from '../jobs/save-job';
import type { CallbackDialer } from './callback-dialer';

export const CALLBACKS_DUE = 'callbacks:due';

export interface CallbackJobsOptions {
  /** How often due callbacks are looked for (Agenda interval, default every 2 seconds). */
  every?: string;
  /** Callbacks handled per pass; passes repeat until a pass finds less (default 2000). */
  batch?: number;
}

export interface CallbackJobs {
  /** The dialer the job drives (the app creates it after the scheduler). */
  use(dialer: Pick<CallbackDialer, 'processDue'>): void;
  /** Put the recurring job on the schedule (one job document whatever the number of processes). */
  schedule(): Promise<void>;
  /** One full pass now, outside Agenda (tests, `POST` hooks). */
  runNow(): Promise<{ offered: number; escalated: number; postponed: number }>;
}

export function defineCallbackJobs(
  agenda: Agenda,
  deps: { logger: Logger; /** Whether this process dials callbacks (default true). */ process?: boolean },
  options: CallbackJobsOptions = {},
): CallbackJobs {
  let dialer: Pick<CallbackDialer, 'processDue'> | undefined;
  const batch = options.batch ?? 2000;

  async function runNow() {
    const total = { offered: 0, escalated: 0, postponed: 0 };
    if (!dialer) return total;
    for (;;) {
      const r = await dialer.processDue(batch);
      total.offered += r.offered;
      total.escalated += r.escalated;
      total.postponed += r.postponed;
      if (r.offered + r.escalated + r.postponed < batch) return total;
    }
  }

  if (deps.process !== false)
    agenda.define(
      CALLBACKS_DUE,
      async () => {
        const r = await runNow();
        if (r.offered + r.escalated + r.postponed > 0) deps.logger.info(r, 'callbacks: due work done');
      },
      // A short lock: a pass takes milliseconds, and after a crash another process should take
      // over within seconds, not after Agenda's default ten minutes.
      { concurrency: 1, lockLimit: 1, lockLifetime: 10_000 },
    );

  return {
    use(d) {
      dialer = d;
    },
    async schedule() {
      // Every process puts the job on the schedule at start; saveJob covers two at once.
      await saveJob(
        () => agenda.every(options.every ?? '2 seconds', CALLBACKS_DUE, undefined, { skipImmediate: false }),
        {
          logger: deps.logger,
          job: CALLBACKS_DUE,
        },
      );
    },
    runNow,
  };
}
