import { describe, expect, it } from 'vitest';
import { creditorReference, documentNumber, isValidCreditorReference, seededObjectId } from './ids';
import { Rng } from './random';

describe('seeded ids', () => {
  it('derives the same ObjectId from the same seed, collection and index, and distinct ones otherwise', () => {
    expect(seededObjectId(1, 'orders', 42).toHexString()).toBe(seededObjectId(1, 'orders', 42).toHexString());
    const seen = new Set<string>();
    for (const seed of [0, 1, 2, 0xffff_ffff]) {
      for (const collection of ['customers', 'orders', 'invoices'] as const) {
        for (const index of [0, 1, 255, 256, 65_535, 16_777_216, 2 ** 40])
          seen.add(seededObjectId(seed, collection, index).toHexString());
      }
    }
    expect(seen.size).toBe(4 * 3 * 7);
  });

  it('grows with the index inside a collection, so bulk loads append', () => {
    const ids = [0, 1, 2, 300, 70_000, 5_000_000].map((i) => seededObjectId(7, 'invoices', i).toHexString());
    expect([...ids].sort()).toEqual(ids);
  });

  it('rejects indices that cannot be encoded', () => {
    expect(() => seededObjectId(1, 'orders', -1)).toThrow(RangeError);
    expect(() => seededObjectId(1, 'orders', 1.5)).toThrow(RangeError);
  });

  it('numbers documents by seed and index', () => {
    expect(documentNumber('INV', 1, 0)).toBe('INV-1-00000001');
    expect(documentNumber('SO', 12, 41)).toBe('SO-12-00000042');
  });

  it('builds ISO 11649 creditor references with correct check digits', () => {
    // The example from the standard.
    expect(creditorReference('539007547034')).toBe('RF18539007547034');
    expect(isValidCreditorReference('RF18539007547034')).toBe(true);
    expect(isValidCreditorReference('RF19539007547034')).toBe(false);
    expect(isValidCreditorReference('RF18539007547035')).toBe(false);
    expect(() => creditorReference('')).toThrow(RangeError);
  });
});

describe('Rng', () => {
  it('repeats its sequence for the same key and differs for another key', () => {
    const draw = (...key: number[]) => {
      const rng = new Rng(...key);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(1, 2, 3)).toEqual(draw(1, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 2, 4));
    expect(draw(1, 2, 3)).not.toEqual(draw(2, 2, 3));
  });

  it('is roughly uniform', () => {
    const rng = new Rng(99);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)]! += 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    expect(Array.from({ length: 1000 }, () => rng.int(3, 5)).every((n) => n >= 3 && n <= 5)).toBe(true);
  });
});
