import type { Types } from 'mongoose';

export const DAY_MS = 86_400_000;

export interface SeedAgent {
  _id: Types.ObjectId;
  name: string;
}

/** What every generator step reads: the run's seed, its reference date and its counters. */
export interface SeedContext {
  seed: number;
  /** The reference "today" in ms; every generated date is at or before it. */
  now: number;
  /** Agent users, in a stable order (by e-mail), for owners and interaction authors. */
  agents: readonly SeedAgent[];
  /**
   * Running document indices. Customers are generated strictly in index order, so customer i's
   * orders, invoices… get the same indices (and so the same _ids and numbers) on every run.
   */
  counters: { orders: number; invoices: number; payments: number; interactions: number; cases: number };
}

/** Fixed UTC offsets are close enough to put seeded calls inside local office hours. */
export function localHourToUtc(dayStartUtc: number, localHour: number, timeZone: string, minute = 0): number {
  const month = new Date(dayStartUtc).getUTCMonth();
  const summer = month >= 3 && month <= 9;
  const base = timeZone === 'Europe/Athens' ? 2 : 1;
  const offset = base + (summer ? 1 : 0);
  return dayStartUtc + (localHour - offset) * 3_600_000 + minute * 60_000;
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
