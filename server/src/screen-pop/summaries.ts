// The pop-summary watcher: one change stream over every collection a pop shows (customers, orders,
// invoices, payments, cases, interactions, suggestions, dunning cases). Each batch of changes is
// reduced to the customers it touches (a burst for one customer → one rebuild). A customer whose
// changes touch one part only (interactions, orders, cases, suggestions, dunning cases) gets that part re-read and
// set; any other change gets the full build (pop-part.ts: summary and build cannot disagree,
// summaries.int.test.ts checks both against a fresh build). Rounds of rebuilds are at least
// `roundEveryMs` apart; the stream's resume token is stored at most once a second and on stop,
// so a restarted watcher resumes where the last one stopped and loses nothing.
// Run it in exactly one process (the worker). `backfillPopSummaries` fills in existing customers.
import { Types } from 'mongoose';
import type { ChangeStream, ChangeStreamDocument, Document, ResumeToken } from 'mongodb';
import type { Database } from '../db/connection';
import type { Models } from '../db/models';
import type { Logger } from '../logger';
import type { Clock } from '../clock';
import type { CustomerDoc } from '../calls/caller-resolution';
import { composeCustomerPop } from './pop-part';
import { readPopRowsInRange } from './pop-rows';
import { rebuildSummary, refreshSummaryParts, writeSummariesIfUnchanged, type SummaryPart } from './summary-store';

/** The watcher's stored position: `popsummarystates` `_id`. */
export const STATE_ID = 'watcher';
/**
 * A caught-up watcher says so at least this often, and its position is stored at most this often
 * (a restart sees again what came after it: a rebuild twice, never one lost).
 */
const BEAT_MS = 1000;
/** A beat's `at` older than this: the call path builds pops in full (the watcher is gone, or this far behind). */
export const WATCHER_LIVE_MS = 10_000;
/** Collections whose documents carry a `customerId`. */
const BY_CUSTOMER_ID = ['orders', 'invoices', 'payments', 'cases', 'interactions', 'dunningcases'];
/** Collections whose `_id` is the customer's. */
const BY_ID = ['customers', 'customersuggestions'];
const WATCHED = [...BY_ID, ...BY_CUSTOMER_ID];

export interface PopSummariesOptions {
  /** How long a first change waits for the rest of its burst before the rebuilds (default 25 ms). */
  debounceMs?: number;
  /** Customers rebuilt at once (default 8). */
  concurrency?: number;
  /** At most this many customers gathered before a rebuild, however long the burst (default 500). */
  maxPending?: number;
  /**
   * The least time from one round of rebuilds to the next (default 100 ms). Under steady writes
   * the server always has a change at hand, and rounds followed each other as fast as they ran
   * (bench:pop, 30 calls/s: ~58 waits, rounds and position writes a second). Gathered over this
   * time, a call's timeline entry written at its start and again at its end is re-read once.
   */
  roundEveryMs?: number;
  /**
   * How long one wait for changes lasts on the server (default 200 ms: a change reaches its summary in ~0.6 s, at 5 waits a second per worker). SecantusDB answers a waiting
   * change stream only when this runs out, not when a change arrives: a change reaches its summary
   * about 3× this later (measured: 500 ms → ~1.1 s, 50 ms → ~0.2 s, 5 ms → ~0.07 s).
   */
  maxAwaitMs?: number;
  /** On a first start (no stored position), fill in every customer's summary in the background (default true). */
  backfill?: boolean;
  /** Awaited before each batch of the backfill: it gives way to the call path as the jobs do (jobs/pacer.ts). */
  pace?: () => Promise<void>;
  /**
   * Awaited before each round of rebuilds (default: `pace`): it gives way to the call path, but
   * briefly (jobs/pacer.ts UPKEEP_PACING). Held as long as a job, the watcher stopped beating and
   * every call fell back to the full build (seven reads instead of one), which kept the pops slow:
   * bench:pop, 20k customers, 626 of 1,200 pops built in full.
   */
  upkeepPace?: () => Promise<void>;
}

export interface PopSummaries {
  /** Stops after the batch being rebuilt; changes not yet acknowledged are seen again on the next start. */
  stop(): Promise<void>;
  /** Customers rebuilt since start (tests, logs). */
  readonly rebuilt: number;
}

/** The customers a change is about (none for a deletion of a document that carried a `customerId`). */
export function customersOf(change: ChangeStreamDocument<Document>): Types.ObjectId[] {
  if (!('ns' in change) || !change.ns || !('coll' in change.ns) || !('documentKey' in change)) return [];
  const coll = change.ns.coll ?? '';
  const key: unknown = change.documentKey?._id;
  if (BY_ID.includes(coll)) return key instanceof Types.ObjectId ? [key] : [];
  const full: unknown = 'fullDocument' in change ? change.fullDocument : undefined;
  const customerId =
    typeof full === 'object' && full !== null ? (full as { customerId?: unknown }).customerId : undefined;
  return customerId instanceof Types.ObjectId ? [customerId] : [];
}

/**
 * The one part of a summary a change can alter, when only one can (its other parts stay):
 * undefined when the change may alter more (customers, invoices, payments).
 */
export function partOf(change: ChangeStreamDocument<Document>): SummaryPart | undefined {
  const coll = 'ns' in change && change.ns && 'coll' in change.ns ? change.ns.coll : undefined;
  return coll ? PART_OF[coll] : undefined;
}
const PART_OF: Record<string, SummaryPart> = {
  interactions: 'lastInteractions',
  orders: 'recentPurchases',
  cases: 'openCases',
  customersuggestions: 'suggestions',
  dunningcases: 'dunning',
};

/** A customer to rebuild: some parts of its summary, or all of it. */
interface Pending {
  id: Types.ObjectId;
  parts: Set<SummaryPart> | 'all';
}

/** Starts the watcher: from the stored resume token, or from now when there is none (then run the backfill). */
export async function startPopSummaries(
  deps: { db: Database; logger: Logger; clock: Clock },
  options: PopSummariesOptions = {},
): Promise<PopSummaries> {
  const watcher = new Watcher(deps, options);
  const first = await watcher.open();
  if (first && options.backfill !== false) {
    // After the stream is open: whatever changes during the backfill is seen by the watcher too.
    void backfillPopSummaries(
      { models: deps.db.models, clock: deps.clock, logger: deps.logger },
      options.pace ? { pace: options.pace } : {},
    ).then(
      (done) => deps.logger.info(done, 'pop summaries: backfill done'),
      (err: unknown) =>
        deps.logger.error({ err }, 'pop summaries: backfill failed (run scripts/backfill-pop-summaries.ts)'),
    );
  }
  return watcher;
}

class Watcher implements PopSummaries {
  rebuilt = 0;
  private stream?: ChangeStream;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly logger: Logger;

  constructor(
    private readonly deps: { db: Database; logger: Logger; clock: Clock },
    private readonly options: PopSummariesOptions,
  ) {
    this.logger = deps.logger.child({ part: 'pop-summaries' });
  }

  /** Opens the stream (resolves once the server watches: changes from here on are seen). True on a first start. */
  async open(): Promise<boolean> {
    const { models } = this.deps.db;
    const state = await models.PopSummaryState.findById(STATE_ID).lean();
    const token = state?.token as ResumeToken | undefined;
    this.stream = this.watch(token);
    if (!token) {
      // A first start: the stream's position now is stored at once, so a restart before the first
      // change still resumes from here (the backfill covers what was there before).
      await this.stream.tryNext().then((first) => {
        if (first) this.first = first;
      });
      await this.storeToken(undefined);
    }
    this.logger.info({ resumed: Boolean(token) }, 'pop summaries: watching');
    this.loop = this.run();
    return !token;
  }

  private first?: ChangeStreamDocument<Document>;
  /** The position up to which every change is in the summaries, and the one stored last. */
  private done?: ResumeToken;
  /** When the last change in the summaries was made (the database's clock). */
  private doneWall?: Date;
  private stored?: ResumeToken;

  private watch(token: ResumeToken | undefined): ChangeStream {
    const db = this.deps.db.conn.db;
    if (!db) throw new Error('pop summaries: database not connected');
    return db.watch([{ $match: { 'ns.coll': { $in: WATCHED } } }], {
      fullDocument: 'updateLookup',
      maxAwaitTimeMS: this.options.maxAwaitMs ?? 200,
      ...(token ? { resumeAfter: token } : {}),
    });
  }

  /**
   * Stores the stream's position. `upTo`: every change made before it is in the summaries (the
   * call path trusts summaries while it is recent, see pop-source.ts); undefined: no such claim.
   */
  private async storeToken(upTo: Date | undefined): Promise<void> {
    const token = this.stream?.resumeToken;
    await this.deps.db.models.PopSummaryState.updateOne(
      { _id: STATE_ID },
      upTo
        ? { $set: { ...(token ? { token } : {}), at: upTo }, $unset: { stoppedAt: 1 } }
        : { $set: { ...(token ? { token } : {}) }, $setOnInsert: { at: new Date(0) } },
      { upsert: true },
    );
  }

  /**
   * Up to when the summaries hold every change: now when every change handed over is in; behind
   * (more waiting), the time the last change in them was made, on this process's clock (its age as
   * the database's clock says it, taken from now).
   */
  private upTo(caughtUp: boolean): Date | undefined {
    const now = this.deps.clock.now();
    if (caughtUp) return now;
    if (!this.doneWall) return undefined;
    return new Date(now.getTime() - Math.max(0, Date.now() - this.doneWall.getTime()));
  }

  private async run(): Promise<void> {
    const pending = new Map<string, Pending>();
    let debounced = false;
    let lastWall: Date | undefined;
    const add = (change: ChangeStreamDocument<Document>) => {
      if ('wallTime' in change && change.wallTime instanceof Date) lastWall = change.wallTime;
      const part = partOf(change);
      for (const id of customersOf(change)) {
        const key = id.toHexString();
        const seen = pending.get(key);
        if (!seen) pending.set(key, { id, parts: part ? new Set([part]) : 'all' });
        else if (seen.parts !== 'all') {
          if (part) seen.parts.add(part);
          else seen.parts = 'all';
        }
      }
    };
    if (this.first) add(this.first);
    this.first = undefined;
    this.stored = this.stream?.resumeToken;
    const roundEveryMs = this.options.roundEveryMs ?? 100;
    let roundAt = -Infinity;
    let storedAt = -Infinity;
    while (!this.stopped) {
      try {
        const stream = this.stream;
        if (!stream) return;
        const change = await stream.tryNext();
        if (this.stopped) return;
        if (change) {
          add(change);
          // The rest of what the server answered is at hand: gather it. Under steady writes the
          // server always has more (tryNext never answers nothing), so the batch ends with what
          // one wait for changes brought, not when changes stop.
          if (stream.bufferedCount() > 0 && pending.size < (this.options.maxPending ?? 500)) continue;
        } else if (pending.size > 0 && !debounced && (this.options.debounceMs ?? 25) > 0) {
          debounced = true; // let the rest of the burst arrive
          await sleep(this.options.debounceMs ?? 25);
          continue;
        }
        const early = roundAt + roundEveryMs - performance.now();
        if (pending.size > 0 && early > 0 && pending.size < (this.options.maxPending ?? 500)) {
          debounced = true; // what comes until the round is due joins it
          await sleep(early);
          continue;
        }
        if (pending.size > 0) {
          roundAt = performance.now();
          await this.rebuild([...pending.values()]);
        }
        pending.clear();
        debounced = false;
        this.done = stream.resumeToken;
        this.doneWall = lastWall;
        // Every change the server has handed over is in the summaries: at most one wait behind.
        // Behind (a burst larger than one round), it says how far, so that calls go on trusting
        // summaries a few seconds old instead of all falling back to the full build at once.
        const caughtUp = stream.bufferedCount() === 0;
        if (performance.now() - storedAt >= BEAT_MS && (this.done !== this.stored || caughtUp)) {
          storedAt = performance.now();
          await this.storeToken(this.upTo(caughtUp));
          this.stored = this.done;
        }
      } catch (err) {
        if (this.stopped) return;
        // Not acknowledged: everything since the stored token is seen again.
        this.logger.error({ err }, 'pop summaries: change stream failed; resuming from the stored token');
        pending.clear();
        debounced = false;
        await this.stream?.close().catch(() => undefined);
        await sleep(1000);
        if (this.stopped) return;
        try {
          if (historyLost(err)) {
            // The stored position is older than the server keeps: start from now and rebuild everyone.
            this.logger.error('pop summaries: resume point lost; rebuilding every summary');
            await this.deps.db.models.PopSummaryState.deleteOne({ _id: STATE_ID });
            this.stream = this.watch(undefined);
            const { models } = this.deps.db;
            void backfillPopSummaries(
              { models, clock: this.deps.clock, logger: this.logger },
              { rebuild: true, ...(this.options.pace ? { pace: this.options.pace } : {}) },
            ).catch((backfillErr: unknown) => this.logger.error({ err: backfillErr }, 'pop summaries: rebuild failed'));
          } else {
            const state = await this.deps.db.models.PopSummaryState.findById(STATE_ID).lean();
            this.stream = this.watch(state?.token as ResumeToken | undefined);
          }
          this.stored = undefined;
          this.done = undefined;
          this.doneWall = undefined;
        } catch (reopenErr) {
          this.logger.error({ err: reopenErr }, 'pop summaries: could not reopen the change stream');
        }
      }
    }
  }

  private async rebuild(todo: Pending[]): Promise<void> {
    const { models } = this.deps.db;
    await (this.options.upkeepPace ?? this.options.pace)?.();
    const concurrency = this.options.concurrency ?? 8;
    let next = 0;
    const lane = async () => {
      while (next < todo.length) {
        const one = todo[next++];
        if (!one) return;
        if (one.parts === 'all') await rebuildSummary(models, one.id, this.deps.clock.now());
        else await refreshSummaryParts(models, one.id, one.parts, this.deps.clock.now());
        this.rebuilt++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, lane));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stream?.close().catch(() => undefined);
    await this.loop;
    // Calls stop trusting summaries at once (a next watcher beats again once it has caught up).
    // What was rebuilt since the last stored position is not done again by the next watcher.
    const token = this.done !== undefined && this.done !== this.stored ? { token: this.done } : {};
    await this.deps.db.models.PopSummaryState.updateOne(
      { _id: STATE_ID },
      { $set: { ...token, stoppedAt: this.deps.clock.now() } },
    ).catch((err: unknown) => this.logger.warn({ err }, 'pop summaries: stop not recorded'));
    this.logger.info({ rebuilt: this.rebuilt }, 'pop summaries: stopped');
  }
}

/** The server no longer has the stream's history from the stored token (MongoDB's codes). */
export function historyLost(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 286 || code === 280;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** ObjectIds as numbers: the backfill walks the id space in ranges. */
const ID_SPACE = 1n << 96n;
const hex = (n: bigint) => new Types.ObjectId(n.toString(16).padStart(24, '0'));

/**
 * A summary for every customer that has none (`rebuild`: for every customer), walking `_id` ranges
 * whose width adapts so each holds about `batch` customers (a range, never `{}` plus `limit`). A
 * summary the watcher or a call wrote meanwhile is kept (the write is conditional).
 */
export async function backfillPopSummaries(
  deps: { models: Models; clock: Clock; logger?: Logger; progress?: (customers: number) => void },
  opts: { batch?: number; rebuild?: boolean; pace?: () => Promise<void> } = {},
): Promise<{ customers: number; written: number }> {
  const { models, clock } = deps;
  const batch = opts.batch ?? 500;
  let span = 1n << 64n; // one second of ObjectId time
  let lo = 0n;
  let customers = 0;
  let written = 0;
  while (lo < ID_SPACE) {
    const hi = lo + span > ID_SPACE ? ID_SPACE : lo + span;
    const range = { $gte: hex(lo), ...(hi < ID_SPACE ? { $lt: hex(hi) } : {}) };
    // Counted before the documents are read: the server reads a range whole before any limit, and
    // a range grown over empty ids can reach into a million customers at once (ids are dense where
    // customers were bulk-loaded). Counting them costs seconds once; reading them, minutes.
    const many = await models.Customer.countDocuments({ _id: range }, { limit: batch * 4 + 1 });
    if (many > batch * 4 && span > 1n) {
      span = span > 8n ? span / 8n : 1n; // too many at once: the same range, narrower
      continue;
    }
    const docs = many === 0 ? [] : await models.Customer.find({ _id: range }, { nameKeys: 0 }).lean<CustomerDoc[]>();
    if (docs.length > 0) {
      await opts.pace?.();
      const seen = new Map(
        (await models.PopSummary.find({ _id: range }, { rev: 1 }).lean()).map((s) => [s._id.toHexString(), s.rev]),
      );
      const todo = docs.filter((c) => opts.rebuild || !seen.has(c._id.toHexString()));
      if (todo.length > 0) {
        // One range read per collection for the whole batch, the pop of each made as at call time.
        const rows = await readPopRowsInRange(models, todo, range);
        const now = clock.now();
        written += await writeSummariesIfUnchanged(
          models,
          todo.flatMap((customer) => {
            const id = customer._id.toHexString();
            const own = rows.get(id);
            return own ? [{ customer, facts: composeCustomerPop(customer, own), seen: seen.get(id) }] : [];
          }),
          now,
        );
      }
      customers += docs.length;
      deps.logger?.debug({ customers, written }, 'pop summaries: backfill progress');
      deps.progress?.(customers);
    }
    lo = hi;
    if (docs.length < batch / 2 && span < ID_SPACE) span *= 2n;
  }
  return { customers, written };
}
