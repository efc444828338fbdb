// The suggestions job's database side: the full run (learn from every order, store the rules,
// score every customer) and the per-customer recompute that uses the stored rules.
import type { AnyBulkWriteOperation, Model, Types } from 'mongoose';
import type { Clock } from '../clock';
import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import type { Logger } from '../logger';
import {
  historyOf,
  ORDER_SLICE_PROJECTION,
  planCustomerRanges,
  readCustomerRanges,
  type CustomerHistory,
  type CustomerRange,
  type OrderSlice,
} from './history';
import { AssociationLearner, type LearnOptions, type ProductInfo, type RuleBook } from './learn';
import { suggestFor, type ScoreOptions, type Suggestion } from './score';
import { suggestionRulesModel, type CustomerSuggestions, type SuggestionRules } from '../db/schemas/suggestion.model';

export interface SuggestionsOptions {
  learn?: Partial<LearnOptions>;
  score?: Partial<ScoreOptions>;
  /** Orders per range read (default 5,000): what one query costs the database in memory. */
  ordersPerRange?: number;
  /** Range reads in flight (default 2: the next range is read while this one is scored). */
  readConcurrency?: number;
  /** How far back orders go, for sampling the ranges (default 30 years). */
  lookbackDays?: number;
  /** Customers per bulkWrite (default 1,000). */
  writeBatch?: number;
  /** bulkWrites in flight while reading goes on (default 2). */
  writesInFlight?: number;
}

export interface FullRunProgress {
  phase: 'learn' | 'score';
  /** Orders read in this phase so far. */
  orders: number;
}

export interface FullRunReport {
  /** Customers with at least one order that was not cancelled or returned. */
  customers: number;
  /** Orders read (per pass). */
  orders: number;
  products: number;
  /** Rules stored (over all products). */
  rules: number;
  /** Customers who now have suggestions. */
  withSuggestions: number;
  /** Suggestion documents removed because their customer has none any more. */
  removed: number;
  learnMs: number;
  scoreMs: number;
  totalMs: number;
  computedAt: Date;
}

export interface SuggestionsServiceDeps {
  models: Models;
  clock: Clock;
  logger: Logger;
  options?: SuggestionsOptions;
}

/** MongoDB's duplicate-key error: here, a customer recomputed on their own while the full run went by. */
const DUPLICATE_KEY = 11000;

export class SuggestionsService {
  private readonly models: Models;
  private readonly rules: Model<SuggestionRules>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly options: SuggestionsOptions;

  constructor(deps: SuggestionsServiceDeps) {
    this.models = deps.models;
    this.rules = suggestionRulesModel(deps.models.CustomerSuggestions.db);
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.options = deps.options ?? {};
  }

  /**
   * Learns the rules from every order, stores them, then scores every customer who has orders:
   * two streaming passes over the orders in customer order, bounded memory. Customers left
   * without suggestions lose their old ones.
   */
  async runFull(
    opts: { signal?: AbortSignal; onProgress?: (p: FullRunProgress) => void; pace?: () => Promise<void> } = {},
  ): Promise<FullRunReport> {
    const started = performance.now();
    const computedAt = this.clock.now();

    // Pass 1: learn.
    const ranges = await planCustomerRanges(this.models.Order.collection, {
      now: computedAt,
      ordersPerRange: this.options.ordersPerRange ?? 5000,
      ...(this.options.lookbackDays ? { lookbackDays: this.options.lookbackDays } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const products = await this.productInfo();
    const learner = new AssociationLearner();
    await this.forEachHistory(ranges, 'learn', opts, (history) => learner.add(history));
    const book = learner.rules(products, computedAt, this.options.learn);
    await this.saveRules(book);
    const learnMs = performance.now() - started;
    const ruleCount = [...book.values()].reduce((n, p) => n + p.rules.length, 0);
    this.logger.info(
      { customers: learner.customers, products: book.size, rules: ruleCount, ms: Math.round(learnMs) },
      'suggestions: rules learned',
    );

    // Pass 2: score and write.
    const writer = new SuggestionWriter(
      this.models.CustomerSuggestions,
      computedAt,
      this.options.writeBatch ?? 1000,
      this.options.writesInFlight ?? 2,
    );
    const now = computedAt.getTime();
    const read = await this.forEachHistory(ranges, 'score', opts, (history) => {
      const items = suggestFor(history, book, now, this.options.score);
      return items.length > 0 ? writer.add(history.customerId, items) : undefined;
    });
    await writer.flush();
    const removed = await this.models.CustomerSuggestions.deleteMany({ computedAt: { $lt: computedAt } });
    const totalMs = performance.now() - started;
    const report: FullRunReport = {
      customers: learner.customers,
      orders: read,
      products: book.size,
      rules: ruleCount,
      withSuggestions: writer.written,
      removed: removed.deletedCount,
      learnMs: Math.round(learnMs),
      scoreMs: Math.round(totalMs - learnMs),
      totalMs: Math.round(totalMs),
      computedAt,
    };
    this.logger.info(report, 'suggestions: full run done');
    return report;
  }

  /** Every customer's history, range by range; returns the number of orders read. */
  private async forEachHistory(
    ranges: readonly CustomerRange[],
    phase: FullRunProgress['phase'],
    opts: { signal?: AbortSignal; onProgress?: (p: FullRunProgress) => void; pace?: () => Promise<void> },
    visit: (history: CustomerHistory) => void | Promise<void>,
  ): Promise<number> {
    let read = 0;
    for await (const histories of readCustomerRanges(this.models.Order.collection, ranges, {
      concurrency: this.options.readConcurrency ?? 2,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onOrders: (n) => {
        read = n;
        opts.onProgress?.({ phase, orders: n });
      },
    })) {
      await opts.pace?.();
      for (const history of histories) {
        const pending = visit(history);
        if (pending) await pending;
      }
    }
    return read;
  }

  /** One customer's suggestions from their orders and the stored rules (after a new order). */
  async recomputeCustomer(customerId: Types.ObjectId): Promise<Suggestion[]> {
    const orders = await this.models.Order.find({ customerId }, ORDER_SLICE_PROJECTION).lean<OrderSlice[]>();
    const history = historyOf(customerId, orders);
    const skus = new Set(history.purchases.flatMap((p) => p.skus));
    const book = await this.loadRules([...skus]);
    const computedAt = this.clock.now();
    const items = suggestFor(history, book, computedAt.getTime(), this.options.score);
    if (items.length > 0) {
      await upsertWrite(() =>
        this.models.CustomerSuggestions.updateOne(
          { _id: customerId },
          { $set: { items, computedAt } },
          { upsert: true },
        ),
      );
    } else {
      await this.models.CustomerSuggestions.deleteOne({ _id: customerId });
    }
    return items;
  }

  /** The stored rules of these products (all of them when omitted). */
  async loadRules(skus?: readonly string[]): Promise<RuleBook> {
    const docs = await this.rules.find(skus ? { _id: { $in: skus } } : {}).lean<SuggestionRules[]>();
    return new Map(docs.map((d) => [d._id, d]));
  }

  private async productInfo(): Promise<Map<string, ProductInfo>> {
    const products = await this.models.Product.find({}, { _id: 0, sku: 1, name: 1, replenishDays: 1 }).lean();
    return new Map(
      products.map((p) => [
        p.sku,
        {
          name: p.name,
          ...(p.replenishDays !== undefined && p.replenishDays !== null ? { replenishDays: p.replenishDays } : {}),
        },
      ]),
    );
  }

  /** Replaces the stored model: every product's document, then drops products no longer bought. */
  private async saveRules(book: RuleBook): Promise<void> {
    const docs = [...book.values()];
    for (let i = 0; i < docs.length; i += 1000) {
      await upsertWrite(() =>
        this.rules.bulkWrite(
          docs
            .slice(i, i + 1000)
            .map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
          { ordered: false },
        ),
      );
    }
    await this.rules.deleteMany({ _id: { $nin: [...book.keys()] } });
  }
}

/**
 * Batched upserts of customer suggestions, a few bulkWrites in flight. A document written
 * after the run started (the customer's own recompute after a new order) is newer than what
 * this run read, so it is left alone: the filter does not match it, the upsert then collides
 * on _id, and that duplicate-key error is expected.
 */
class SuggestionWriter {
  written = 0;
  private batch: AnyBulkWriteOperation<CustomerSuggestions>[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly model: Model<CustomerSuggestions>,
    private readonly computedAt: Date,
    private readonly batchSize: number,
    private readonly maxInFlight: number,
  ) {}

  async add(customerId: Types.ObjectId, items: Suggestion[]): Promise<void> {
    this.batch.push({
      updateOne: {
        filter: { _id: customerId, computedAt: { $not: { $gt: this.computedAt } } },
        update: { $set: { items, computedAt: this.computedAt } },
        upsert: true,
      },
    });
    if (this.batch.length >= this.batchSize) await this.send();
  }

  async flush(): Promise<void> {
    if (this.batch.length > 0) await this.send();
    await Promise.all(this.inFlight);
  }

  private async send(): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    const ops = this.batch;
    this.batch = [];
    const write = this.write(ops).finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  private async write(ops: AnyBulkWriteOperation<CustomerSuggestions>[]): Promise<void> {
    try {
      // Straight to the driver: these documents are built here and need no casting.
      const result = await this.model.collection.bulkWrite(
        ops as Parameters<typeof this.model.collection.bulkWrite>[0],
        { ordered: false },
      );
      this.written += result.upsertedCount + result.matchedCount;
    } catch (err) {
      const skipped = duplicateKeyOnly(err);
      if (skipped === undefined) throw err;
      this.written += skipped.written;
    }
  }
}

/** For a bulk write that failed only on duplicate keys: how many of its operations did write. */
function duplicateKeyOnly(err: unknown): { written: number } | undefined {
  if (!(err instanceof Error) || !('writeErrors' in err)) return undefined;
  const writeErrors = (err as Error & { writeErrors: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  if (!list.every((e: unknown) => typeof e === 'object' && e !== null && 'code' in e && e.code === DUPLICATE_KEY))
    return undefined;
  const result = (err as Error & { result?: { upsertedCount?: number; matchedCount?: number } }).result;
  return { written: (result?.upsertedCount ?? 0) + (result?.matchedCount ?? 0) };
}
