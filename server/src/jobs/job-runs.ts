// One run at a time of a long job across every process (the dunning scan): the run is claimed on
// the job's own document, keeps a heartbeat and its progress there, and leaves its report when it
// ends. A second run asked for meanwhile is refused with the running one's progress (409), and one
// waiting for a run (an admin's "run it now" answered by a worker) reads the report from there.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { JobRun as RunDoc } from '../db/schemas/job-run.model';
import { conflict, isDuplicateKey, unavailable } from '../errors';

/** What a caller is told of a running job (the 409's details). */
export interface RunProgress {
  job: string;
  startedAt: string;
  phase?: string;
  done?: number;
  by: string;
}

/** A run this process holds. */
export interface JobRun {
  readonly runId: string;
  /** Notes how far the run is (written at most every 2 s; the heartbeat too). */
  progress(phase: string, done: number): void;
  finish(report: unknown): Promise<void>;
  fail(err: unknown): Promise<void>;
}

export interface JobRunsOptions {
  /** A run whose heartbeat is older than this is taken to be dead and may be taken over (default 1 min). */
  staleMs?: number;
  /** Heartbeat while a run makes no progress (default 10 s). */
  heartbeatMs?: number;
}

export class JobRuns {
  private readonly staleMs: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly deps: { models: Models; clock: Clock; name: string },
    options: JobRunsOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 60_000;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
  }

  /** Claims the job's run, or refuses with the running one's progress (conflict). */
  async begin(job: string): Promise<JobRun> {
    const { JobRun: Runs } = this.deps.models;
    const now = this.deps.clock.now();
    const runId = randomUUID();
    const fresh = { runId, state: 'running' as const, by: this.deps.name, startedAt: now, heartbeatAt: now };
    const reset = { $set: fresh, $unset: { phase: 1, done: 1, finishedAt: 1, report: 1, error: 1 } };
    let claimed = false;
    try {
      await Runs.create({ _id: job, ...fresh });
      claimed = true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // Not running (the last one ended), or running with a heartbeat that stopped: one query per
    // case (the database reads a whole collection for an $or).
    if (!claimed) claimed = (await Runs.updateOne({ _id: job, state: { $ne: 'running' } }, reset)).modifiedCount === 1;
    if (!claimed) {
      const stale = new Date(now.getTime() - this.staleMs);
      claimed =
        (await Runs.updateOne({ _id: job, state: 'running', heartbeatAt: { $lt: stale } }, reset)).modifiedCount === 1;
    }
    if (!claimed) {
      // Held by a process of this machine that is gone (killed): no need to wait for its heartbeat to go stale.
      const holder = await Runs.findById(job, { runId: 1, by: 1 }).lean();
      if (holder && goneHere(holder.by))
        claimed =
          (await Runs.updateOne({ _id: job, runId: holder.runId, state: 'running' }, reset)).modifiedCount === 1;
    }
    if (!claimed) {
      const running = await this.running(job);
      throw conflict(`${job} is already running`, running ?? undefined);
    }
    return this.held(job, runId);
  }

  /** The job's run under way (with a live heartbeat), if any. */
  async running(job: string): Promise<RunProgress | null> {
    const doc = await this.deps.models.JobRun.findById(job).lean();
    if (!doc || doc.state !== 'running') return null;
    if (doc.heartbeatAt.getTime() < this.deps.clock.now().getTime() - this.staleMs) return null;
    return progressOf(doc);
  }

  /**
   * Waits for a run of `job` that started at or after `since` to end, and answers its report (or
   * throws its error). Unavailable when none has started within `startWithinMs` (no process runs the job).
   */
  async waitFor(
    job: string,
    since: Date,
    opts: { startWithinMs?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const startWithin = opts.startWithinMs ?? 60_000;
    const waitedFrom = Date.now();
    for (;;) {
      opts.signal?.throwIfAborted();
      const doc = await this.deps.models.JobRun.findById(job).lean();
      const ours = doc && doc.startedAt.getTime() >= since.getTime();
      if (ours && doc.state === 'finished') return doc.report;
      if (ours && doc.state === 'failed') throw unavailable(`${job} failed: ${doc.error ?? 'unknown error'}`);
      if (!ours && Date.now() - waitedFrom > startWithin)
        throw unavailable(`${job} did not start: no worker process is running the jobs`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private held(job: string, runId: string): JobRun {
    const { JobRun: Runs } = this.deps.models;
    let last = 0;
    let ended = false;
    const write = (set: Partial<RunDoc>) =>
      Runs.updateOne({ _id: job, runId, state: 'running' }, { $set: { ...set, heartbeatAt: this.deps.clock.now() } });
    const beat = setInterval(() => void write({}).catch(() => undefined), this.heartbeatMs);
    beat.unref();
    const end = async (set: Partial<RunDoc>) => {
      if (ended) return;
      ended = true;
      clearInterval(beat);
      await write({ ...set, finishedAt: this.deps.clock.now() });
    };
    return {
      runId,
      progress: (phase, done) => {
        if (Date.now() - last < 2000) return;
        last = Date.now();
        void write({ phase, done }).catch(() => undefined); // the heartbeat writes again soon
      },
      finish: (report) => end({ state: 'finished', report }),
      fail: (err) => end({ state: 'failed', error: err instanceof Error ? err.message : String(err) }),
    };
  }
}

/** Whether `name` (host:pid, see processName) is a process of this machine that no longer runs. */
function goneHere(name: string): boolean {
  const m = /^(.*):(\d+)$/.exec(name);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function progressOf(doc: RunDoc): RunProgress {
  return {
    job: doc._id,
    startedAt: doc.startedAt.toISOString(),
    by: doc.by,
    ...(doc.phase === undefined ? {} : { phase: doc.phase }),
    ...(doc.done === undefined ? {} : { done: doc.done }),
  };
}
