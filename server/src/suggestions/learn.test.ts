import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { DAY_MS, historyOf, type CustomerHistory, type OrderSlice } from './history';
import { AssociationLearner, quartilesOfHistogram, type ProductInfo } from './learn';

const T0 = Date.UTC(2025, 0, 1);
const day = (n: number) => T0 + n * DAY_MS;
const computedAt = new Date(day(1000));

/** A customer from (day, skus) purchases. */
function customer(...purchases: Array<[number, string[], OrderSlice['status']?]>): CustomerHistory {
  const orders: OrderSlice[] = purchases.map(([d, skus, status]) => ({
    customerId: new Types.ObjectId(),
    placedAt: new Date(day(d)),
    status: status ?? 'delivered',
    lines: skus.map((sku) => ({ sku })),
  }));
  return historyOf(new Types.ObjectId(), orders);
}

const products = new Map<string, ProductInfo>([
  ['POOL', { name: 'Garden pool' }],
  ['CLEANER', { name: 'Pool cleaner' }],
  ['MOWER', { name: 'Lawn mower' }],
  ['BLADE', { name: 'Mower blade' }],
  ['TONER', { name: 'Toner', replenishDays: 60 }],
  ['PAPER', { name: 'Paper', replenishDays: 30 }],
]);

function learn(histories: CustomerHistory[], minCount = 5) {
  const learner = new AssociationLearner();
  for (const h of histories) learner.add(h);
  return {
    learner,
    book: learner.rules(products, computedAt, { minCount, minSupport: 0, minLift: 1.2, minConfidence: 0.05 }),
  };
}

describe('AssociationLearner', () => {
  // 100 customers: 20 buy a pool and a cleaner (10 in the same order, 10 two days later),
  // 10 more buy only a cleaner, 70 buy only paper.
  const pools = [
    ...Array.from({ length: 10 }, () => customer([0, ['POOL', 'CLEANER']])),
    ...Array.from({ length: 10 }, () => customer([0, ['POOL']], [2, ['CLEANER']])),
  ];
  const cleanersOnly = Array.from({ length: 10 }, () => customer([0, ['CLEANER']]));
  const paper = Array.from({ length: 70 }, () => customer([0, ['PAPER']]));

  it('computes support, confidence and lift over customer baskets', () => {
    const { learner, book } = learn([...pools, ...cleanersOnly, ...paper]);
    expect(learner.customers).toBe(100);
    const pool = book.get('POOL')!;
    expect(pool.buyers).toBe(20);
    const rule = pool.rules.find((r) => r.sku === 'CLEANER')!;
    expect(rule.count).toBe(20);
    expect(rule.support).toBe(0.2);
    expect(rule.confidence).toBe(1);
    // confidence / P(cleaner) = 1 / (30 / 100)
    expect(rule.lift).toBeCloseTo(3.333, 3);
    expect(rule.medianDays).toBe(1); // half the samples 0 days, half 2 days
    expect(rule.name).toBe('Pool cleaner');
  });

  it('keeps only the more confident direction of a pair bought together', () => {
    const { book } = learn([...pools, ...cleanersOnly, ...paper]);
    // cleaner → pool: 10 of 30 cleaner buyers bought the pool in the same order, confidence 1/3 < 1
    expect(book.get('CLEANER')!.rules.map((r) => r.sku)).not.toContain('POOL');
  });

  it('leaves out pairs below the minimum count and pairs that do not beat chance', () => {
    const rare = Array.from({ length: 4 }, () => customer([0, ['MOWER']], [180, ['BLADE']]));
    const { book } = learn([...rare, ...paper]);
    expect(book.get('MOWER')!.rules).toEqual([]);
    // Everybody buys paper: paper → anything has lift ≤ 1.
    const everyone = Array.from({ length: 30 }, (_, i) => customer([0, ['PAPER']], [10, [i % 2 ? 'POOL' : 'MOWER']]));
    expect(learn(everyone).book.get('PAPER')!.rules).toEqual([]);
  });

  it('learns the follow-up interval (median and spread) from the next purchase after each antecedent', () => {
    const offsets = [150, 160, 170, 175, 180, 182, 185, 190, 200, 210];
    const mowers = offsets.map((d) => customer([0, ['MOWER']], [d, ['BLADE']], [d + 400, ['BLADE']]));
    const { book } = learn([...mowers, ...paper]);
    const rule = book.get('MOWER')!.rules.find((r) => r.sku === 'BLADE')!;
    expect(rule.count).toBe(10);
    expect(rule.samples).toBe(10); // only the first blade after each mower
    expect(rule.medianDays).toBe(181); // (180 + 182) / 2
    expect(rule.iqrDays).toBeGreaterThan(10);
    expect(rule.iqrDays).toBeLessThan(40);
    // Backwards (blade → mower) never happened.
    expect(book.get('BLADE')!.rules.map((r) => r.sku)).not.toContain('MOWER');
    expect(book.get('BLADE')!.cycleDays).toBe(400);
  });

  it('learns a replenishment cycle from repeat purchases, else keeps the catalogue one', () => {
    const toner = Array.from({ length: 12 }, (_, i) =>
      customer([0, ['TONER']], [88 + (i % 5), ['TONER']], [180, ['TONER']]),
    );
    const { book } = learn([...toner, ...paper]);
    const t = book.get('TONER')!;
    expect(t.cycleDays).toBe(90);
    expect(t.rules.find((r) => r.sku === 'TONER')).toMatchObject({ count: 12, medianDays: 90 });
    expect(book.get('PAPER')!.cycleDays).toBe(30); // nobody bought paper twice: the catalogue's 30 days
  });

  it('does not learn from returned orders', () => {
    const returned = Array.from({ length: 10 }, () => customer([0, ['MOWER']], [180, ['BLADE'], 'returned']));
    const { book } = learn([...returned, ...paper]);
    expect(book.get('MOWER')!.rules).toEqual([]);
    expect(book.has('BLADE')).toBe(false);
  });
});

describe('quartilesOfHistogram', () => {
  it('takes the middle sample, or the mean of the two middle ones', () => {
    const days = new Uint32Array(10);
    days[1] = 1;
    days[3] = 1;
    days[9] = 1;
    expect(quartilesOfHistogram(days, 3)).toEqual({ q1: 2, median: 3, q3: 6 });
    days[5] = 1;
    expect(quartilesOfHistogram(days, 4)?.median).toBe(4);
    expect(quartilesOfHistogram(new Uint32Array(3), 0)).toBeUndefined();
  });
});
