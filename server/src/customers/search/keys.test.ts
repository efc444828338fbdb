import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nameKeys } from '@ringside/shared';
import {
  comparePositions,
  decodeCursor,
  encodeCursor,
  inSegment,
  letterCount,
  positionKey,
  prefixRanges,
  segments,
  type Position,
} from './keys';

describe('name prefixes', () => {
  it('counts letters after folding', () => {
    expect(letterCount('Łó')).toBe(2);
    expect(letterCount('  k.o-w ')).toBe(3);
    expect(letterCount('Παπ')).toBe(3);
    expect(letterCount('..')).toBe(0);
  });

  it('covers the Latin and the written form of Greek, one range for Latin', () => {
    expect(prefixRanges('Kowal')).toEqual([{ gte: 'kowal', lt: 'kowam' }]);
    const greek = prefixRanges('Παπα');
    expect(greek.map((r) => r.gte)).toEqual(['papa', 'παπα']);
  });

  it('places a customer at its smallest key inside the ranges', () => {
    const ranges = prefixRanges('kow');
    expect(positionKey(nameKeys('Kowalski Kowalczyk'), ranges)).toBe('kowalczyk');
    expect(positionKey(nameKeys('Anna Nowak'), ranges)).toBeUndefined();
  });
});

describe('segments', () => {
  it('cut the ranges at frequent keys, in key order, each key in exactly one segment', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^kow[a-c ]{0,3}$/), { maxLength: 6 }),
        fc.array(fc.stringMatching(/^k[n-p][v-x][a-c ]{0,3}$/), { maxLength: 30 }),
        (frequent, keys) => {
          const ranges = prefixRanges('kow');
          const segs = segments(ranges, frequent);
          for (const key of keys) {
            const holders = segs.filter((s) => inSegment(key, s)).length;
            expect(holders).toBe(key.startsWith('kow') ? 1 : 0);
          }
        },
      ),
    );
  });
});

describe('cursor', () => {
  const p: Position = { key: 'kowalski', at: 1_700_000_000_000, id: '0123456789abcdef01234567' };

  it('round-trips a position of a name search and of a label search', () => {
    const ranges = prefixRanges('kowa');
    expect(decodeCursor(encodeCursor('name', p), 'name', ranges)).toEqual({ ok: true, position: p });
    const l: Position = { at: 5, id: 'ffffffffffffffffffffffff' };
    expect(decodeCursor(encodeCursor('label', l), 'label')).toEqual({ ok: true, position: l });
  });

  it('refuses garbage, tampering and a cursor of another search, with a reason', () => {
    const ranges = prefixRanges('kowa');
    for (const bad of [
      '',
      'not a cursor!',
      'eyJ2IjoxfQ',
      Buffer.from('{"v":1,"s":"n","k":"kowa","t":1,"i":"zz"}').toString('base64url'),
    ])
      expect(decodeCursor(bad, 'name', ranges)).toMatchObject({ ok: false, reason: expect.any(String) });
    expect(decodeCursor(encodeCursor('name', p), 'name', prefixRanges('nowa'))).toEqual({
      ok: false,
      reason: 'belongs to another search',
    });
    expect(decodeCursor(encodeCursor('name', p), 'label').ok).toBe(false);
  });

  it('orders by key, then newest first, then _id descending', () => {
    const a = { key: 'a', at: 1, id: '000000000000000000000001' };
    expect(comparePositions(a, { ...a, key: 'b' })).toBeLessThan(0);
    expect(comparePositions(a, { ...a, at: 0 })).toBeLessThan(0);
    expect(comparePositions(a, { ...a, id: '000000000000000000000000' })).toBeLessThan(0);
    expect(comparePositions(a, { ...a })).toBe(0);
  });
});
