import { DateTime } from 'luxon';
import { isCallable } from '../callbacks/calling-hours';

/** Time zones around the world: at most hours, one of them is inside calling hours. */
export const ZONES_AROUND_THE_WORLD = [
  'Europe/Warsaw',
  'America/New_York',
  'America/Los_Angeles',
  'Pacific/Honolulu',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  'America/Sao_Paulo',
  'Pacific/Auckland',
  'Asia/Dubai',
];

/**
 * A zone whose calling hours hold from `now` for `minutes` (checked every `stepMinutes`), where
 * the local hour is `fromHour` or later; undefined when there is none.
 */
export function zoneCallableFor(
  now: Date,
  minutes: number,
  opts: { stepMinutes?: number; fromHour?: number } = {},
): string | undefined {
  const step = Math.max(1, opts.stepMinutes ?? minutes);
  const checks: number[] = [];
  for (let m = 0; m <= minutes; m += step) checks.push(m);
  return ZONES_AROUND_THE_WORLD.find(
    (zone) =>
      checks.every((m) => isCallable(new Date(now.getTime() + m * 60_000), zone)) &&
      DateTime.fromJSDate(now, { zone }).hour >= (opts.fromHour ?? 0),
  );
}
