// How a dunning scan is run: here (a process that runs the jobs: the worker, or one process doing
// everything), or by asking the worker and waiting for its report (the web process). Either way one
// scan runs at a time across every process, and asking for one while another runs is a conflict
// that carries the running scan's progress (`POST /api/dunning/run` answers it as 409).
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { JobRuns } from '../jobs/job-runs';
import type { Pace } from '../jobs/pacer';
import { conflict } from '../errors';
import type { DunningService, ScanReport } from './dunning.service';

export const DUNNING_SCAN = 'dunning:scan';

export interface ScanRequest {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number }) => void;
}

export interface DunningScans {
  /** One full scan, answered with its counts; a conflict while another one runs. */
  run(request?: ScanRequest): Promise<ScanReport>;
}

/** Scans in this process, one at a time across every process, giving way to the call path. */
export function localScans(deps: {
  service: Pick<DunningService, 'scan'>;
  runs: JobRuns;
  logger: Logger;
  pace?: Pace;
}): DunningScans {
  return {
    async run(request = {}) {
      const run = await deps.runs.begin(DUNNING_SCAN);
      try {
        const report = await deps.service.scan({
          ...(request.signal ? { signal: request.signal } : {}),
          ...(deps.pace ? { pace: deps.pace } : {}),
          onProgress: (p) => {
            run.progress(p.phase, p.done);
            request.onProgress?.(p);
          },
        });
        await run.finish(report);
        return report;
      } catch (err) {
        await run
          .fail(err)
          .catch((e: unknown) => deps.logger.warn({ err: e }, 'dunning: could not record the failed scan'));
        throw err;
      }
    },
  };
}

/** Asks the process that runs the jobs for a scan now and waits for its report. */
export function queuedScans(deps: { runs: JobRuns; clock: Clock; enqueue: () => Promise<void> }): DunningScans {
  return {
    async run(request = {}) {
      const running = await deps.runs.running(DUNNING_SCAN);
      if (running) throw conflict(`${DUNNING_SCAN} is already running`, running);
      const since = deps.clock.now();
      await deps.enqueue();
      return (await deps.runs.waitFor(
        DUNNING_SCAN,
        since,
        request.signal ? { signal: request.signal } : {},
      )) as ScanReport;
    },
  };
}
