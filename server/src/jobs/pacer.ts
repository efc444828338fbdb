// The jobs give way to the call path. Web processes publish how their call path fares (pop p95,
// event-loop stalls); the jobs pause briefly between batches, and hold while a web process
// suffers, up to a limit so that a long overload never stops them for good.
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { CallPathHealth } from '../metrics/call-path-health';

export interface PacerOptions {
  /** Pause between two batches of a job's database work, ms (default 10), at least. */
  batchPauseMs?: number;
  /**
   * The share of time a job works (default 0.33): after a batch that took t ms it pauses
   * t × (1 − share) / share, so a job leaves the database to the call path twice as long as it used it.
   */
  workShare?: number;
  /** Hold while any web process's pop p95 is above this, ms (default 50). */
  popP95Ms?: number;
  /** …or its event loop stalled longer than this, ms (default 50). */
  loopLagMs?: number;
  /** Hold at most this long at once, then run one batch (default 30 s). */
  maxHoldMs?: number;
  /** How often the published figures are read again, ms (default 1 s). */
  checkEveryMs?: number;
}

/**
 * The pop summaries' upkeep (screen-pop/summaries.ts): the call path's own, so it holds at most a
 * second while the call path suffers and takes no rest after its work.
 */
export const UPKEEP_PACING: PacerOptions = { workShare: 1, batchPauseMs: 0, maxHoldMs: 1000 };

/** Called by a job between batches: resolves when the next batch may go. */
export type Pace = () => Promise<void>;

/** A gap between two pace() calls longer than this is not one batch's work. */
const MAX_BATCH_MS = 5000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Pacer {
  private readonly o: Required<PacerOptions>;
  private checked = 0;
  private suffering: string | undefined;
  private lastLog = 0;
  /** Until when the database rests after the batches done so far (performance.now()). */
  private restUntil = 0;
  /** Time held so far (for the benchmark's figures and the logs), ms. */
  heldMs = 0;

  constructor(
    private readonly deps: { models: Models; clock: Clock; logger: Logger },
    options: PacerOptions = {},
  ) {
    this.o = {
      batchPauseMs: options.batchPauseMs ?? 10,
      workShare: options.workShare ?? 0.33,
      popP95Ms: options.popP95Ms ?? 50,
      loopLagMs: options.loopLagMs ?? 50,
      maxHoldMs: options.maxHoldMs ?? 30_000,
      checkEveryMs: options.checkEveryMs ?? 1000,
    };
  }

  /**
   * One job's pace (a scan, a full run): its batches end when it asks again, oldest first when it
   * runs several at once. The rest owed after a batch is the database's, for every job of this
   * pacer: two jobs at once share one work share instead of each reading the other's asks as the
   * end of its batch (one shared clock: the suggestions run's short batches wiped out the rest
   * owed after the dunning scan's long ones, and the two together took the database's whole time).
   */
  lane(): Pace {
    const started: number[] = [];
    return async () => {
      const now = performance.now();
      const batch = started.shift();
      // A batch older than any batch is not one (the job stopped between two): no rest owed.
      const worked = batch === undefined || now - batch > MAX_BATCH_MS ? 0 : now - batch;
      const share = Math.min(1, Math.max(0.01, this.o.workShare));
      this.restUntil = Math.max(this.restUntil, now + Math.min(this.o.maxHoldMs, (worked * (1 - share)) / share));
      await this.hold();
      started.push(performance.now());
      if (started.length > 64) started.shift(); // a caller that never asks again
    };
  }

  /** The pacer's own lane, for callers that do not take one. */
  readonly pace: Pace = this.lane();

  /** Waits out the rest owed, then while the call path suffers (at most maxHoldMs). */
  private async hold(): Promise<void> {
    const pause = Math.max(this.o.batchPauseMs, this.restUntil - performance.now());
    if (pause > 0) await sleep(pause);
    const from = performance.now();
    for (;;) {
      const why = await this.why();
      if (!why) break;
      const held = performance.now() - from;
      if (held >= this.o.maxHoldMs) break;
      if (Date.now() - this.lastLog > 10_000) {
        this.lastLog = Date.now();
        this.deps.logger.info({ why, heldMs: Math.round(held) }, 'jobs: holding while the call path suffers');
      }
      await sleep(this.o.checkEveryMs);
    }
    this.heldMs += performance.now() - from;
  }

  /** Why the jobs should hold now (undefined: they need not). */
  private async why(): Promise<string | undefined> {
    if (Date.now() - this.checked < this.o.checkEveryMs) return this.suffering;
    this.checked = Date.now();
    try {
      const since = new Date(this.deps.clock.now().getTime() - 10_000);
      const fresh = await this.deps.models.CallPathStatus.find({ at: { $gte: since } })
        .limit(100)
        .lean();
      this.suffering = undefined;
      for (const s of fresh) {
        if (s.popP95Ms !== null && s.popP95Ms > this.o.popP95Ms) this.suffering = `${s._id}: pop p95 ${s.popP95Ms} ms`;
        else if (s.loopLagMs > this.o.loopLagMs) this.suffering = `${s._id}: event loop stalled ${s.loopLagMs} ms`;
        if (this.suffering) break;
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'jobs: could not read how the call path fares');
      this.suffering = undefined;
    }
    return this.suffering;
  }
}

/** A web process's side: publishes its call path's figures every `everyMs` (default 2 s). */
export function publishCallPath(
  deps: { models: Models; clock: Clock; logger: Logger; health: CallPathHealth; name: string },
  everyMs = 2000,
): { stop(): Promise<void> } {
  let writing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const r = deps.health.reading();
    writing = deps.models.CallPathStatus.updateOne(
      { _id: deps.name },
      { $set: { at: deps.clock.now(), popP95Ms: r.popP95Ms, loopLagMs: r.loopLagMs, pops: r.pops } },
      { upsert: true },
    ).catch((err: unknown) => deps.logger.debug({ err }, 'could not publish the call path figures'));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await writing;
    },
  };
}
