// Learning from order history (pure: fed one customer history at a time, no database).
//
// The basket is the customer's whole history, with time: rule A → B counts a customer who
// bought A and then B, in the same order or later. Whole histories because the stories that
// matter span orders (a pool, then a cleaner days later; a mower, then blades months later);
// per-order baskets would only see what is bought together. The order in time keeps rules
// pointing forward: "bought blades, so suggest a mower" would be backwards.
//
//   support(A → B)    = customers who bought A, then B / customers
//   confidence(A → B) = customers who bought A, then B / customers who bought A
//   lift(A → B)       = confidence(A → B) / (customers who bought B / customers)
//
// A → A is the replenishment rule (bought A again). For every pair the learner also keeps the
// days between a purchase of A and the follow-up purchase of B (for A → A, between two
// purchases of A) in a per-day histogram, so the median costs memory per pair, not per sample.
import { DAY_MS, type CustomerHistory } from './history';
import type { SuggestionRule, SuggestionRules } from '../db/schemas/suggestion.model';

export interface LearnOptions {
  /** A rule needs at least this many customers behind it. */
  minCount: number;
  /** …and at least this share of all customers (whichever is larger). */
  minSupport: number;
  /** Rules must beat chance clearly: lift > 1, and at least this. */
  minLift: number;
  minConfidence: number;
  /** Rules kept per product, best first. */
  maxRulesPerProduct: number;
  /**
   * Pairs usually bought within this many days of each other count as "bought together": in
   * one order the direction is unknown, so only the more confident direction is kept (pool →
   * cleaner, not cleaner → pool; coffee machine → descaler, not descaler → coffee machine).
   */
  togetherDays: number;
}

export const DEFAULT_LEARN_OPTIONS: LearnOptions = {
  minCount: 10,
  minSupport: 0.0001,
  minLift: 1.5,
  minConfidence: 0.05,
  maxRulesPerProduct: 30,
  togetherDays: 14,
};

/** Intervals beyond this many days go into the last histogram bin. */
const MAX_INTERVAL_DAYS = 1460;
/** Pair keys: antecedent index × 2^20 + consequent index (room for a million SKUs). */
const PAIR_SHIFT = 1_048_576;

interface PairStats {
  /** Customers with A and then B (for A → A: customers who bought A at least twice). */
  count: number;
  samples: number;
  /** Samples per whole day, allocated on the first sample. */
  days: Uint32Array | undefined;
}

/** Product facts from the catalogue, for names and as a fallback replenishment cycle. */
export interface ProductInfo {
  name: string;
  replenishDays?: number;
}

/** The learned model, by antecedent SKU. */
export type RuleBook = Map<string, SuggestionRules>;

export class AssociationLearner {
  private readonly index = new Map<string, number>();
  private readonly skus: string[] = [];
  private readonly buyers: number[] = [];
  private readonly pairs = new Map<number, PairStats>();
  /** Customers with at least one kept purchase. */
  customers = 0;
  purchases = 0;

  add(history: CustomerHistory): void {
    // SKU index → purchase times, oldest first.
    const times = new Map<number, number[]>();
    for (const purchase of history.purchases) {
      if (!purchase.kept) continue;
      this.purchases++;
      for (const sku of purchase.skus) {
        const i = this.skuIndex(sku);
        const list = times.get(i);
        if (!list) times.set(i, [purchase.at]);
        else if (list[list.length - 1] !== purchase.at) list.push(purchase.at);
      }
    }
    if (times.size === 0) return;
    this.customers++;
    for (const a of times.keys()) this.buyers[a]!++;
    for (const [a, ta] of times) {
      for (const [b, tb] of times) {
        if (a === b) {
          if (ta.length < 2) continue;
          const stats = this.pair(a, a);
          stats.count++;
          for (let i = 1; i < ta.length; i++) this.sample(stats, ta[i]! - ta[i - 1]!);
          continue;
        }
        if (tb[tb.length - 1]! < ta[0]!) continue; // B only before A
        const stats = this.pair(a, b);
        stats.count++;
        // Each purchase of A is followed up by the first B at or after it, unless A is bought
        // again first (then the follow-up belongs to that later A).
        let j = 0;
        for (let i = 0; i < ta.length; i++) {
          const at = ta[i]!;
          while (j < tb.length && tb[j]! < at) j++;
          if (j === tb.length) break;
          const next = i + 1 < ta.length ? ta[i + 1]! : Infinity;
          if (tb[j]! < next) this.sample(stats, tb[j]! - at);
        }
      }
    }
  }

  /** The rules that pass the thresholds, one document per product bought by anyone. */
  rules(products: ReadonlyMap<string, ProductInfo>, computedAt: Date, options: Partial<LearnOptions> = {}): RuleBook {
    const opts = { ...DEFAULT_LEARN_OPTIONS, ...options };
    const n = this.customers;
    const threshold = Math.max(1, opts.minCount, Math.ceil(opts.minSupport * n));
    const byAntecedent = new Map<number, SuggestionRule[]>();
    const cycles = new Map<number, number>();
    for (const [key, stats] of this.pairs) {
      if (stats.count < threshold) continue;
      const a = Math.floor(key / PAIR_SHIFT);
      const b = key % PAIR_SHIFT;
      const confidence = stats.count / this.buyers[a]!;
      const lift = confidence / (this.buyers[b]! / n);
      const spread = stats.days ? quartilesOfHistogram(stats.days, stats.samples) : undefined;
      if (a === b && spread && spread.median >= 1) cycles.set(a, spread.median);
      if (!(lift > 1) || lift < opts.minLift || confidence < opts.minConfidence) continue;
      if (a !== b && spread && spread.median < opts.togetherDays) {
        const reverse = this.pairs.get(b * PAIR_SHIFT + a);
        if (reverse && reverse.count / this.buyers[b]! > confidence) continue;
      }
      const sku = this.skus[b]!;
      const rule: SuggestionRule = {
        sku,
        name: products.get(sku)?.name ?? sku,
        count: stats.count,
        support: round(stats.count / n, 6),
        confidence: round(confidence, 4),
        lift: round(lift, 3),
        ...(spread ? { medianDays: spread.median, iqrDays: spread.q3 - spread.q1 } : {}),
        samples: stats.samples,
      };
      const list = byAntecedent.get(a);
      if (list) list.push(rule);
      else byAntecedent.set(a, [rule]);
    }
    const book: RuleBook = new Map();
    for (let a = 0; a < this.skus.length; a++) {
      if (this.buyers[a] === 0) continue;
      const sku = this.skus[a]!;
      const product = products.get(sku);
      const cycleDays = cycles.get(a) ?? product?.replenishDays;
      const rules = (byAntecedent.get(a) ?? [])
        .sort((x, y) => y.lift * y.confidence - x.lift * x.confidence || x.sku.localeCompare(y.sku))
        .slice(0, opts.maxRulesPerProduct);
      book.set(sku, {
        _id: sku,
        name: product?.name ?? sku,
        buyers: this.buyers[a]!,
        customers: n,
        ...(cycleDays !== undefined ? { cycleDays } : {}),
        rules,
        computedAt,
      });
    }
    return book;
  }

  private skuIndex(sku: string): number {
    let i = this.index.get(sku);
    if (i === undefined) {
      i = this.skus.length;
      this.index.set(sku, i);
      this.skus.push(sku);
      this.buyers.push(0);
    }
    return i;
  }

  private pair(a: number, b: number): PairStats {
    const key = a * PAIR_SHIFT + b;
    let stats = this.pairs.get(key);
    if (!stats) {
      stats = { count: 0, samples: 0, days: undefined };
      this.pairs.set(key, stats);
    }
    return stats;
  }

  private sample(stats: PairStats, ms: number): void {
    const day = Math.min(MAX_INTERVAL_DAYS, Math.max(0, Math.round(ms / DAY_MS)));
    stats.days ??= new Uint32Array(MAX_INTERVAL_DAYS + 1);
    stats.days[day]!++;
    stats.samples++;
  }
}

/** Quartiles of a per-day histogram (each the mean of the two middle samples where the count is even). */
export function quartilesOfHistogram(
  days: ArrayLike<number>,
  samples: number,
): { q1: number; median: number; q3: number } | undefined {
  if (samples === 0) return undefined;
  const at = (p: number) =>
    (valueAt(days, Math.floor(p * (samples - 1))) + valueAt(days, Math.ceil(p * (samples - 1)))) / 2;
  return { q1: at(0.25), median: at(0.5), q3: at(0.75) };
}

/** The value of the k-th sample (0-based, in order) of a per-day histogram. */
function valueAt(days: ArrayLike<number>, k: number): number {
  let seen = 0;
  for (let d = 0; d < days.length; d++) {
    seen += days[d]!;
    if (seen > k) return d;
  }
  return days.length - 1;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
