import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { DAY_MS, historyOf, rangesFromSample, type OrderSlice } from './history';

describe('historyOf', () => {
  it('drops cancelled orders, marks returned ones, sorts by time and dedupes SKUs within an order', () => {
    const day = (n: number) => Date.UTC(2025, 0, 1) + n * DAY_MS;
    const order = (d: number, skus: string[], status: OrderSlice['status'] = 'delivered'): OrderSlice => ({
      customerId: new Types.ObjectId(),
      placedAt: new Date(day(d)),
      status,
      lines: skus.map((sku) => ({ sku })),
    });
    const h = historyOf(new Types.ObjectId(), [
      order(10, ['B', 'B', 'C']),
      order(5, ['A']),
      order(7, ['X'], 'cancelled'),
      order(8, ['R'], 'returned'),
    ]);
    expect(h.purchases.map((p) => [p.at, p.skus, p.kept])).toEqual([
      [day(5), ['A'], true],
      [day(8), ['R'], false],
      [day(10), ['B', 'C'], true],
    ]);
  });
});

describe('rangesFromSample', () => {
  const id = (n: number) => n.toString(16).padStart(24, '0');
  const hex = (ranges: ReturnType<typeof rangesFromSample>) =>
    ranges.map((r) => [r.from?.toHexString(), r.to?.toHexString()]);

  it('cuts at quantiles of the sampled ids, open at both ends', () => {
    const sample = Array.from({ length: 100 }, (_, i) => id(99 - i)); // any order
    expect(hex(rangesFromSample(sample, 4))).toEqual([
      [undefined, id(25)],
      [id(25), id(50)],
      [id(50), id(75)],
      [id(75), undefined],
    ]);
  });

  it('makes fewer ranges when ids repeat or the sample is small, never an empty one', () => {
    expect(hex(rangesFromSample([id(1), id(1), id(1), id(2)], 4))).toEqual([
      [undefined, id(2)],
      [id(2), undefined],
    ]);
    expect(rangesFromSample([], 10)).toEqual([{}]);
    expect(rangesFromSample([id(5)], 3)).toEqual([{}]);
  });
});
