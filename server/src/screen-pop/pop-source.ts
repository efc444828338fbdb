// At call time: the customer's pop summary (one read by id), or — when there is none yet, it is
// stale, or no watcher keeps summaries up to date — the full build, whose result is then stored
// for the next call.
import type { Logger } from '../logger';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { CustomerDoc } from '../calls/caller-resolution';
import { readCustomerPop, type CustomerPopFacts } from './pop-part';
import { readSummary, writeSummaryIfUnchanged } from './summary-store';
import { WATCHER_LIVE_MS } from './summaries';

export type PopSource = 'summary' | 'built' | 'none';

export interface PopFacts {
  facts?: CustomerPopFacts;
  source: PopSource;
}

/** How often this process looks whether the watcher is caught up (one small read at most this often). */
const LIVENESS_EVERY_MS = 1000;

export class PopFactsSource {
  private liveness?: { at: number; live: Promise<boolean> };

  constructor(
    private readonly deps: {
      models: Models;
      clock: Clock;
      logger: Logger;
      /** Seconds per step: `popsummary` (the read by id), `popbuild` (the full build, when needed). */
      observe?: (stage: 'popsummary' | 'popbuild', seconds: number) => void;
    },
  ) {}

  /** `customer`'s pop facts at `now`: from its summary when usable, else built (and the summary written, not awaited). */
  async factsFor(customer: CustomerDoc | undefined, now: Date): Promise<PopFacts> {
    if (!customer) return { source: 'none' };
    const { models, observe } = this.deps;
    const t0 = performance.now();
    const [live, stored] = await Promise.all([this.watcherLive(), readSummary(models, customer)]);
    const t1 = performance.now();
    observe?.('popsummary', (t1 - t0) / 1000);
    if (live && stored?.facts) return { facts: stored.facts, source: 'summary' };
    const facts = await readCustomerPop(models, customer);
    observe?.('popbuild', (performance.now() - t1) / 1000);
    // Without a watcher nobody would keep it up to date: a summary is written only while one runs.
    if (live)
      writeSummaryIfUnchanged(models, customer, facts, now, stored?.rev).catch((err: unknown) => {
        this.deps.logger.warn({ err, customerId: customer._id.toString() }, 'pop summary not written');
      });
    return { facts, source: 'built' };
  }

  /** The watcher has not stopped and its summaries hold every change made until less than WATCHER_LIVE_MS ago. */
  private watcherLive(): Promise<boolean> {
    const at = performance.now();
    if (this.liveness && at - this.liveness.at < LIVENESS_EVERY_MS) return this.liveness.live;
    const live = this.deps.models.PopSummaryState.findById('watcher', { at: 1, stoppedAt: 1 })
      .lean()
      .then(
        (state) =>
          Boolean(state && !state.stoppedAt && this.deps.clock.now().getTime() - state.at.getTime() < WATCHER_LIVE_MS),
        () => false,
      );
    this.liveness = { at, live };
    return live;
  }
}
