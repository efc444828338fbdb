// What every part of the ladder agrees on about cases: which are live, how they and their records are keyed, the claim filter.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';

/** Less than this left on an invoice is nothing left to pay. */
export const OPEN_INVOICE = 0.005;
/** What the scan compares of a live case. */
export const LIVE_CASE_FIELDS = {
  customerId: 1,
  currency: 1,
  amount: 1,
  oldestDueAt: 1,
  invoiceIds: 1,
  status: 1,
  stage: 1,
} as const;
export const LIVE = ['open', 'paused'] as const;
export const STAGES = ['none', 'sms', 'letter', 'call', 'legal'] as const;

/** One live case per customer and currency: the key the scan matches debts and cases by. */
export const keyOf = (customerId: Types.ObjectId, currency: string) => `${customerId.toHexString()}|${currency}`;

/**
 * No claim whose lease is still running: no `pending`, or one whose lease ended. Written as one
 * negated range, not as an `$or` of the two: the database reads every case of the collection
 * for an `$or`, even next to an `_id`, which made each claim cost as much as a full scan.
 */
export const noLiveClaim = (now: Date) => ({ 'pending.leaseUntil': { $not: { $gt: now } } });

/** A deterministic ObjectId for a record that a retried step must not write twice. */
export const stableId = (text: string) => new Types.ObjectId(createHash('sha1').update(text).digest().subarray(0, 12));

/** The natural key of a case's n-th collections call (a callback): a repeated step finds the first one. */
export const callKey = (caseId: Types.ObjectId, round: number): string =>
  `dunning|${caseId.toHexString()}|call|${round}`;

/** The short reference of a case on letters, legal cases and disputes. */
export const caseRef = (id: Types.ObjectId) => id.toHexString().slice(-10).toUpperCase();
