// Bringing the cases in step with the debts: one live case per overdue customer and currency, opened, updated or closed in bulk.
import { randomUUID } from 'node:crypto';
import { Types, type AnyBulkWriteOperation } from 'mongoose';
import type { DunningContext } from '../context';
import { round2 } from '../ladder';
import { keyOf, LIVE_CASE_FIELDS, OPEN_INVOICE } from '../case-keys';
import { closeMany } from '../close-cases';
import type { CaseDoc, CaseState, CaseToClose, LiveCase } from '../types';
import type { OverdueDebt } from './read';
import { newCase, openCases } from './open';

/** What a sync gathers from the cases before it writes. */
interface Sync {
  byKey: Map<string, OverdueDebt>;
  now: Date;
  /** This sync's mark on the payments it records, to count only those. */
  scan: string;
  live: Map<string, CaseState>;
  updates: AnyBulkWriteOperation<CaseDoc>[];
  closing: Array<CaseToClose & { reason: string }>;
  /** Debts that have their live case. */
  seen: Set<string>;
  /** Cases looked at already. */
  read: Set<string>;
  updated: number;
  paidDown: Array<{ _id: Types.ObjectId; currency: string; paid: number }>;
}

export interface SyncResult {
  live: Map<string, CaseState>;
  opened: number;
  updated: number;
  closed: number;
}

/** Opens, updates and closes cases so that there is one live case per overdue customer and currency. */
export async function syncCases(
  ctx: DunningContext,
  byKey: Map<string, OverdueDebt>,
  liveCases: LiveCase[][],
  now: Date,
  count: (action: string, n?: number) => void,
): Promise<SyncResult> {
  const firstDay = ctx.options.ladder[0]?.day ?? 0;
  const s: Sync = {
    byKey,
    now,
    scan: randomUUID(),
    live: new Map(),
    updates: [],
    closing: [],
    seen: new Set(),
    read: new Set(),
    updated: 0,
    paidDown: [],
  };
  matchLiveCases(s, liveCases);
  // New cases, numbered after the customer's earlier cases in that currency.
  const fresh = [...byKey.entries()].filter(([key]) => !s.seen.has(key));
  const earlier = await countEarlier(ctx, s, fresh);
  const inserts: Array<Partial<CaseDoc>> = [];
  for (const [key, agg] of fresh) {
    if (s.seen.has(key)) continue;
    inserts.push(newCase(key, agg, (earlier.get(key) ?? 0) + 1, firstDay, now));
  }
  const opened = await openCases(ctx, inserts, s.live);
  count('opened', opened);
  for (let i = 0; i < s.updates.length; i += 5000)
    await ctx.models.DunningCase.bulkWrite(s.updates.slice(i, i + 5000), { ordered: false });
  await recordPaidDown(ctx, s);
  // Cases with nothing overdue left: paid (or credited). Closed, nothing more is sent.
  let closed = 0;
  for (const reason of ['paid', 'duplicate']) {
    const some = s.closing.filter((x) => x.reason === reason);
    for (let i = 0; i < some.length; i += 1000) closed += await closeMany(ctx, some.slice(i, i + 1000), now, reason);
  }
  count('closed_paid', closed);
  return { live: s.live, opened, updated: s.updated, closed };
}

/**
 * Each live case either keeps its debt in step or, with no debt left (or a second case for the same
 * debt), is to be closed. The live cases are read in parts (status and stage) while this scan's
 * steps move some of them from one part to another: a case read twice is one case, not a
 * duplicate, and one missed is found by `countEarlier` before a case is opened in its place.
 */
function matchLiveCases(s: Sync, liveCases: LiveCase[][]): void {
  for (const cases of liveCases) {
    for (const c of cases) {
      if (s.read.has(c._id.toHexString())) continue;
      s.read.add(c._id.toHexString());
      const key = keyOf(c.customerId, c.currency);
      const agg = s.byKey.get(key);
      if (!agg || s.seen.has(key)) {
        s.closing.push({
          _id: c._id,
          amount: c.amount,
          currency: c.currency,
          customerId: c.customerId,
          reason: agg ? 'duplicate' : 'paid',
        });
        continue;
      }
      s.seen.add(key);
      bringInStep(s, c, agg);
    }
  }
}

/** Keeps a live case's amount and invoices in step with its overdue debt. */
function bringInStep(s: Sync, c: LiveCase, agg: OverdueDebt): void {
  s.live.set(c._id.toHexString(), { status: c.status, stage: c.stage });
  const amount = round2(agg.amount);
  const sameInvoices =
    c.invoiceIds.length === agg.invoiceIds.length &&
    agg.invoiceIds.every((id) => c.invoiceIds.some((x) => x.equals(id)));
  if (Math.abs(amount - c.amount) < OPEN_INVOICE && sameInvoices && c.oldestDueAt.getTime() === agg.oldest) return;
  s.updated += 1;
  const paid = round2(c.amount - amount);
  if (paid > 0) s.paidDown.push({ _id: c._id, currency: c.currency, paid });
  s.updates.push({
    updateOne: {
      // Only from the amount read: of two scans at once, one records the payment.
      filter: { _id: c._id, amount: c.amount },
      update: {
        $set: { amount, oldestDueAt: new Date(agg.oldest), invoiceIds: agg.invoiceIds },
        ...(paid > 0
          ? {
              $push: {
                history: {
                  at: s.now,
                  action: 'payment_received',
                  details: { from: c.amount, to: amount, scan: s.scan },
                },
              },
            }
          : {}),
      },
    },
  });
}

/**
 * How many cases each customer of a fresh debt had in that currency (the new case is numbered
 * after them). A live one among them moved while the live cases were read: it is brought in step.
 */
async function countEarlier(
  ctx: DunningContext,
  s: Sync,
  fresh: Array<[string, OverdueDebt]>,
): Promise<Map<string, number>> {
  const earlier = new Map<string, number>();
  for (let i = 0; i < fresh.length; i += 5000) {
    const ids = [...new Set(fresh.slice(i, i + 5000).map(([, agg]) => agg.customerId.toHexString()))].map(
      (id) => new Types.ObjectId(id),
    );
    for (const c of await ctx.models.DunningCase.find({ customerId: { $in: ids } }, LIVE_CASE_FIELDS).lean<
      LiveCase[]
    >()) {
      const key = keyOf(c.customerId, c.currency);
      earlier.set(key, (earlier.get(key) ?? 0) + 1);
      const agg = s.byKey.get(key);
      if (agg && c.status !== 'closed' && !s.seen.has(key)) {
        // Live after all: it moved while the live cases were read.
        s.seen.add(key);
        bringInStep(s, c, agg);
      }
    }
  }
  return earlier;
}

/** What came in, counted for the payments this scan recorded (its own history entries). */
async function recordPaidDown(ctx: DunningContext, s: Sync): Promise<void> {
  const recovered: Record<string, number> = {};
  for (let i = 0; i < s.paidDown.length; i += 5000) {
    const chunk = s.paidDown.slice(i, i + 5000);
    const ours = await ctx.models.DunningCase.find(
      {
        _id: { $in: chunk.map((x) => x._id) },
        history: { $elemMatch: { action: 'payment_received', 'details.scan': s.scan } },
      },
      { _id: 1 },
    ).lean();
    const recorded = new Set(ours.map((c) => c._id.toHexString()));
    for (const x of chunk)
      if (recorded.has(x._id.toHexString())) recovered[x.currency] = (recovered[x.currency] ?? 0) + x.paid;
  }
  await ctx.figures.recovered(recovered);
}
