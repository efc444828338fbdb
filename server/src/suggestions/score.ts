// Scoring one customer against the learned rules (pure).
//
// Every product the customer bought fires its rules. A candidate's score is
// lift × confidence of the rule, times a timing factor when the rule has a typical follow-up
// interval: low while it is early, highest once the interval has (nearly) elapsed, fading when
// it is long past (they probably bought it elsewhere). The best rule per candidate gives the
// score and the reason. Left out: what the customer bought recently (for consumables: within
// `dueFraction` of their cycle; for everything else: within `ownedDays`), and follow-ups that
// already happened (bought the blades after the mower).
import { DAY_MS, type CustomerHistory } from './history';
import type { RuleBook } from './learn';
import { associationReason, followUpReason, replenishReason } from './reasons';
import type { CustomerSuggestions, SuggestionRule } from '../db/schemas/suggestion.model';

export type Suggestion = CustomerSuggestions['items'][number];

export interface ScoreOptions {
  /** Suggestions kept per customer. */
  topN: number;
  /** A consumable is suggested again once this share of its cycle has passed since it was last bought. */
  dueFraction: number;
  /** Products without a cycle (durables) are not suggested for this long after they were bought. */
  ownedDays: number;
  /** Follow-up intervals shorter than this are "bought together", not timing. */
  timingMinDays: number;
  /**
   * A follow-up interval is a typical time (and timing counts) only when its interquartile
   * range is at most this share of the median; unrelated purchases are spread over years.
   */
  maxRelativeSpread: number;
}

export const DEFAULT_SCORE_OPTIONS: ScoreOptions = {
  topN: 5,
  dueFraction: 0.75,
  ownedDays: 730,
  timingMinDays: 14,
  maxRelativeSpread: 1,
};

/**
 * How the time since the antecedent was bought weighs a rule with a typical interval:
 * 0.5 → 1 while early, 1.5 from 80 % to twice the interval, then down to 0.25 at seven times
 * (long overdue: they have probably bought it elsewhere).
 */
export function timingFactor(elapsedDays: number, medianDays: number): number {
  const ratio = Math.max(0, elapsedDays) / medianDays;
  if (ratio < 0.8) return 0.5 + (0.5 * ratio) / 0.8;
  if (ratio <= 2) return 1.5;
  return Math.max(0.25, 1.5 - 0.25 * (ratio - 2));
}

export function suggestFor(
  history: CustomerHistory,
  book: RuleBook,
  now: number,
  options: Partial<ScoreOptions> = {},
): Suggestion[] {
  const opts = { ...DEFAULT_SCORE_OPTIONS, ...options };
  // Last purchase per SKU: of kept orders (what fires rules), and of any order (what was bought).
  const lastKept = new Map<string, number>();
  const lastAny = new Map<string, number>();
  for (const purchase of history.purchases) {
    for (const sku of purchase.skus) {
      lastAny.set(sku, purchase.at);
      if (purchase.kept) lastKept.set(sku, purchase.at);
    }
  }
  const daysSince = (at: number) => Math.max(0, (now - at) / DAY_MS);
  const excluded = (sku: string): boolean => {
    const last = lastAny.get(sku);
    if (last === undefined) return false;
    const cycle = book.get(sku)?.cycleDays;
    return cycle !== undefined ? daysSince(last) < opts.dueFraction * cycle : daysSince(last) < opts.ownedDays;
  };

  const best = new Map<string, Suggestion>();
  for (const [antecedent, at] of lastKept) {
    const product = book.get(antecedent);
    if (!product) continue;
    const elapsed = daysSince(at);
    for (const rule of product.rules) {
      const repeat = rule.sku === antecedent;
      const typical = isTypicalInterval(rule, opts);
      if (repeat && !typical) continue; // bought again, but not on a cycle
      if (!repeat) {
        const followedAt = lastAny.get(rule.sku);
        if (followedAt !== undefined && followedAt >= at) continue; // the follow-up already happened
      }
      if (excluded(rule.sku)) continue;
      const timed = typical && (repeat || rule.medianDays! >= opts.timingMinDays);
      const score = rule.lift * rule.confidence * (timed ? timingFactor(elapsed, rule.medianDays!) : 1);
      const current = best.get(rule.sku);
      if (current && current.score >= score) continue;
      best.set(rule.sku, {
        sku: rule.sku,
        name: rule.name,
        score,
        reason: reasonFor(product.name, rule, elapsed, repeat, timed),
      });
    }
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score || a.sku.localeCompare(b.sku))
    .slice(0, opts.topN)
    .map((s) => ({ ...s, score: Math.round(s.score * 1000) / 1000 }));
}

function isTypicalInterval(rule: SuggestionRule, opts: ScoreOptions): boolean {
  if (rule.medianDays === undefined || rule.medianDays < 1) return false;
  return rule.iqrDays === undefined || rule.iqrDays <= opts.maxRelativeSpread * rule.medianDays;
}

function reasonFor(
  antecedent: string,
  rule: SuggestionRule,
  elapsedDays: number,
  repeat: boolean,
  timed: boolean,
): string {
  if (timed && repeat) return replenishReason(antecedent, elapsedDays, rule.medianDays!);
  if (timed) return followUpReason(antecedent, elapsedDays, rule.name, rule.medianDays!);
  return associationReason(antecedent, rule.name, rule.lift);
}
