import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { DAY_MS, type CustomerHistory } from './history';
import type { RuleBook } from './learn';
import { formatAgo, formatDays, formatLift } from './reasons';
import { suggestFor, timingFactor } from './score';
import type { SuggestionRule, SuggestionRules } from '../db/schemas/suggestion.model';

const NOW = Date.UTC(2026, 10, 1);
const ago = (days: number) => NOW - days * DAY_MS;

function history(...purchases: Array<[daysAgo: number, skus: string[], kept?: boolean]>): CustomerHistory {
  return {
    customerId: new Types.ObjectId(),
    orders: purchases.length,
    purchases: purchases
      .map(([d, skus, kept]) => ({ at: ago(d), skus, kept: kept ?? true }))
      .sort((a, b) => a.at - b.at),
  };
}

function product(sku: string, name: string, rules: SuggestionRule[], cycleDays?: number): [string, SuggestionRules] {
  return [
    sku,
    {
      _id: sku,
      name,
      buyers: 100,
      customers: 1000,
      ...(cycleDays ? { cycleDays } : {}),
      rules,
      computedAt: new Date(NOW),
    },
  ];
}
const rule = (
  sku: string,
  name: string,
  lift: number,
  confidence: number,
  medianDays?: number,
  iqrDays?: number,
): SuggestionRule => ({
  sku,
  name,
  count: 50,
  support: 0.05,
  confidence,
  lift,
  ...(medianDays !== undefined ? { medianDays } : {}),
  ...(iqrDays !== undefined ? { iqrDays } : {}),
  samples: 50,
});

const book: RuleBook = new Map([
  product('MOWER', 'Petrol lawn mower 46 cm', [rule('BLADE', 'Replacement mower blade 46 cm', 18, 0.7, 182, 45)]),
  product(
    'BLADE',
    'Replacement mower blade 46 cm',
    [rule('BLADE', 'Replacement mower blade 46 cm', 7, 0.45, 180, 50)],
    180,
  ),
  product('POOL', 'Frame pool 366 × 76 cm', [
    rule('CLEANER', 'Automatic pool cleaner', 4.2, 0.6, 1, 3),
    rule('CHLORINE', 'Chlorine tablets 1 kg', 11, 0.7, 3, 8),
  ]),
  product('CLEANER', 'Automatic pool cleaner', []),
  product('CHLORINE', 'Chlorine tablets 1 kg', [], 45),
  product('PAPER', 'Copy paper', [rule('CHAIR', 'Office chair', 1.6, 0.2, 120, 400)]),
  product('CHAIR', 'Office chair', []),
]);

describe('suggestFor', () => {
  it('suggests blades to a customer who bought a mower 7 months ago, with the months in the reason', () => {
    const [top] = suggestFor(history([213, ['MOWER']]), book, NOW);
    expect(top).toEqual({
      sku: 'BLADE',
      name: 'Replacement mower blade 46 cm',
      // 18 × 0.7 × 1.5 (due: 213 days is 1.17 × the typical 182)
      score: 18.9,
      reason:
        'Bought Petrol lawn mower 46 cm 7 months ago; customers usually buy Replacement mower blade 46 cm about 6 months after.',
    });
  });

  it('weighs the same rule lower while the follow-up is not due yet', () => {
    const [early] = suggestFor(history([30, ['MOWER']]), book, NOW);
    expect(early!.sku).toBe('BLADE');
    // 18 × 0.7 × (0.5 + 0.5 × (30 / 182) / 0.8)
    expect(early!.score).toBeCloseTo(7.598, 3);
    expect(early!.reason).toContain('Petrol lawn mower 46 cm 4 weeks ago');
  });

  it('does not suggest blades just bought, nor a follow-up that already happened', () => {
    // The mower → blade follow-up happened; the blades are 10 days old (cycle 180).
    expect(suggestFor(history([220, ['MOWER']], [10, ['BLADE']]), book, NOW).map((s) => s.sku)).not.toContain('BLADE');
    // Bought blades 5 months ago: due again (150 ≥ 0.75 × 180), as a replenishment.
    const [again] = suggestFor(history([400, ['MOWER']], [150, ['BLADE']]), book, NOW);
    expect(again).toMatchObject({ sku: 'BLADE' });
    expect(again!.reason).toBe(
      'Last bought Replacement mower blade 46 cm 5 months ago; customers usually buy it again after about 6 months.',
    );
  });

  it('a returned purchase counts as bought (not suggested again) but fires no rules', () => {
    expect(suggestFor(history([200, ['MOWER'], false]), book, NOW)).toEqual([]);
  });

  it('explains bought-together rules with the lift, best score first, owned durables left out', () => {
    const items = suggestFor(history([3, ['POOL']]), book, NOW);
    expect(items.map((s) => s.sku)).toEqual(['CHLORINE', 'CLEANER']);
    expect(items[1]!.reason).toBe(
      'Customers who bought Frame pool 366 × 76 cm also buy Automatic pool cleaner (4.2× more likely than average).',
    );
    expect(items[0]!.reason).toContain('(11× more likely than average)');
    // A cleaner bought a year ago is owned: not suggested again (ownedDays 730).
    expect(suggestFor(history([3, ['POOL']], [365, ['CLEANER']]), book, NOW).map((s) => s.sku)).toEqual(['CHLORINE']);
    expect(
      suggestFor(history([3, ['POOL']], [365, ['CLEANER']]), book, NOW, { ownedDays: 300 }).map((s) => s.sku),
    ).toEqual(['CHLORINE', 'CLEANER']);
  });

  it('an interval spread over years is not a typical time: the reason is the association', () => {
    const [item] = suggestFor(history([30, ['PAPER']]), book, NOW);
    expect(item).toMatchObject({ sku: 'CHAIR', score: 0.32 });
    expect(item!.reason).toBe('Customers who bought Copy paper also buy Office chair (1.6× more likely than average).');
  });

  it('keeps the top N', () => {
    expect(suggestFor(history([3, ['POOL']], [213, ['MOWER']]), book, NOW, { topN: 2 }).map((s) => s.sku)).toEqual([
      'BLADE',
      'CHLORINE',
    ]);
  });
});

describe('timingFactor', () => {
  it('rises to 1.5 once 80 % of the typical interval has passed, then fades', () => {
    expect(timingFactor(0, 100)).toBe(0.5);
    expect(timingFactor(40, 100)).toBe(0.75);
    expect(timingFactor(80, 100)).toBe(1.5);
    expect(timingFactor(200, 100)).toBe(1.5);
    expect(timingFactor(400, 100)).toBe(1);
    expect(timingFactor(2000, 100)).toBe(0.25);
  });
});

describe('reasons', () => {
  it('says durations the way people do', () => {
    expect([0.2, 1, 5, 13.6, 20, 55, 60, 182, 213, 700, 1000].map(formatDays)).toEqual([
      '1 day',
      '1 day',
      '5 days',
      '14 days',
      '3 weeks',
      '8 weeks',
      '2 months',
      '6 months',
      '7 months',
      '2 years',
      '3 years',
    ]);
    expect([0.5, 1.5, 213].map(formatAgo)).toEqual(['today', 'yesterday', '7 months ago']);
    expect([1.24, 4.2, 11.4, 25.6].map(formatLift)).toEqual(['1.2×', '4.2×', '11×', '26×']);
  });
});
