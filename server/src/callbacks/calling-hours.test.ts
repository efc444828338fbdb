import { describe, expect, it } from 'vitest';
import { isCallable, nextCallable } from './calling-hours';

const z = (iso: string) => new Date(iso);

describe('calling hours in the zone of the customer', () => {
  it('keeps a time inside the window and moves an early one to 08:00 local', () => {
    expect(nextCallable(z('2026-11-24T10:00:00Z'), 'Europe/Warsaw')).toEqual(z('2026-11-24T10:00:00Z'));
    // 06:30Z is 07:30 in Warsaw (UTC+1 in winter) → 08:00 local = 07:00Z.
    expect(nextCallable(z('2026-11-24T06:30:00Z'), 'Europe/Warsaw')).toEqual(z('2026-11-24T07:00:00Z'));
    // The same instant is already 08:30 in Athens (UTC+2): callable there.
    expect(isCallable(z('2026-11-24T06:30:00Z'), 'Europe/Athens')).toBe(true);
  });

  it('moves a late call to the next morning and skips Sunday', () => {
    // Saturday 2026-11-28 19:30Z = 20:30 Warsaw → Sunday is closed → Monday 08:00 = 07:00Z.
    expect(nextCallable(z('2026-11-28T19:30:00Z'), 'Europe/Warsaw')).toEqual(z('2026-11-30T07:00:00Z'));
  });

  it('is right on DST change days', () => {
    // Sunday 2026-10-25 Europe changes back to winter time; Monday 26th 08:00 Warsaw = 07:00Z,
    // while Saturday 24th (summer time) 08:00 = 06:00Z.
    expect(nextCallable(z('2026-10-24T05:00:00Z'), 'Europe/Warsaw')).toEqual(z('2026-10-24T06:00:00Z'));
    expect(nextCallable(z('2026-10-24T18:30:00Z'), 'Europe/Warsaw')).toEqual(z('2026-10-26T07:00:00Z'));
    // Spring: Sunday 2026-03-29 02:00 → 03:00 local. Saturday 28th 20:00 local is 19:00Z; Monday 30th 08:00 = 06:00Z.
    expect(
      nextCallable(z('2026-03-28T19:00:00Z'), 'Europe/Athens', {
        start: '08:00',
        end: '20:00',
        days: [1, 2, 3, 4, 5, 6, 7],
      }),
    ).toEqual(z('2026-03-29T05:00:00Z'));
  });

  it('refuses an unknown zone', () => {
    expect(() => nextCallable(new Date(), 'Mars/Olympus')).toThrow(/unknown time zone/);
  });
});
