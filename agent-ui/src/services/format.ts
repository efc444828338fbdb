import { DateTime } from 'luxon';
import { outsideCallingHoursSchema } from '@ringside/shared';

/** Seconds as `m:ss`, or `h:mm:ss` from an hour on; negative values count as 0. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Milliseconds between two instants as a duration (see formatDuration). */
export function elapsed(fromMs: number, nowMs: number): string {
  return formatDuration((nowMs - fromMs) / 1000);
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount in its currency, in the browser's language: "PLN 1,234.50". */
export function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency, currencyDisplay: 'code' });
    } catch {
      format = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(currency, format);
  }
  return format.format(amount);
}

/** A share (0…1) as a whole percentage. */
export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** An ISO instant as a short date and time in the browser's zone. */
export function formatDateTime(iso: string): string {
  const dt = DateTime.fromISO(iso);
  return dt.isValid ? dt.toLocaleString(DateTime.DATETIME_MED) : iso;
}

/** An ISO instant as a date in the browser's zone. */
export function formatDate(iso: string): string {
  const dt = DateTime.fromISO(iso);
  return dt.isValid ? dt.toLocaleString(DateTime.DATE_MED) : iso;
}

/** Words for a code such as `promise_to_pay`. */
export function humanize(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The browser's IANA time zone: the agent's own. */
export function localZone(): string {
  return DateTime.local().zoneName ?? 'UTC';
}

/**
 * A wall-clock date and time in `zone` ("2025-03-14", "09:30", "Europe/Warsaw") as an instant,
 * or null when it is not a valid time there.
 */
export function wallClockInZone(date: string, time: string, zone: string): DateTime | null {
  if (!date || !time) return null;
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  return dt.isValid ? dt : null;
}

/** An instant as "Fri 14 Mar, 09:30 (Europe/Warsaw)" in `zone`. */
export function formatInZone(dt: DateTime, zone: string): string {
  return `${dt.setZone(zone).toFormat('ccc d LLL, HH:mm')} (${zone})`;
}

/**
 * When the customer may be called next, from a refusal outside calling hours: the
 * `error.details.nextWindow` the server sends with it (an `ApiError`, say), or null.
 */
export function nextWindowOf(refusal: { details?: unknown }): string | null {
  const details = outsideCallingHoursSchema.safeParse(refusal.details);
  return details.success ? details.data.nextWindow : null;
}
