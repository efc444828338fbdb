import { describe, expect, it } from 'vitest';
import { depthOf } from './body-parsing';

describe('depthOf', () => {
  it('counts arrays and objects inside one another, scalars as nothing', () => {
    expect(depthOf('x')).toBe(0);
    expect(depthOf(null)).toBe(0);
    expect(depthOf({})).toBe(1);
    expect(depthOf({ a: [1, { b: 2 }] })).toBe(3);
    expect(depthOf([[], [[]], 1])).toBe(3);
  });

  it('walks 50,000 levels without recursion, and stops counting past the limit', () => {
    const deep = JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown;
    expect(depthOf(deep)).toBe(50_000);
    expect(depthOf(deep, 32)).toBe(33);
  });
});
