import { DateTime } from 'luxon';

/** When customers may be called, in their own time zone. */
export interface CallingHours {
  /** "HH:mm", local time, inclusive. */
  start: string;
  /** "HH:mm", local time, exclusive. */
  end: string;
  /** ISO weekdays allowed: 1 = Monday … 7 = Sunday. */
  days: number[];
}

export const DEFAULT_CALLING_HOURS: CallingHours = { start: '08:00', end: '20:00', days: [1, 2, 3, 4, 5, 6] };

const hm = (s: string) => {
  const [h, m] = s.split(':').map(Number);
  return { hour: h ?? 0, minute: m ?? 0 };
};

/** True when `at` falls inside the calling hours in `timeZone`. */
export function isCallable(at: Date, timeZone: string, hours: CallingHours = DEFAULT_CALLING_HOURS): boolean {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!hours.days.includes(local.weekday)) return false;
  const start = local.set({ ...hm(hours.start), second: 0, millisecond: 0 });
  const end = local.set({ ...hm(hours.end), second: 0, millisecond: 0 });
  return local >= start && local < end;
}

/**
 * `at` itself when it may be called, else the start of the next calling window in the
 * customer's zone. Luxon does the zone arithmetic, so DST change days come out right
 * (08:00 local is 07:00Z before the autumn change in Warsaw and 06:00Z on the day before it).
 */
export function nextCallable(at: Date, timeZone: string, hours: CallingHours = DEFAULT_CALLING_HOURS): Date {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new Error(`unknown time zone ${timeZone}`);
  for (let i = 0; i < 8; i++) {
    const day = local.startOf('day').plus({ days: i });
    if (!hours.days.includes(day.weekday)) continue;
    const start = day.set(hm(hours.start));
    const end = day.set(hm(hours.end));
    if (i > 0 || local < start) return start.toJSDate();
    if (local < end) return at;
  }
  throw new Error('calling hours allow no day of the week');
}
