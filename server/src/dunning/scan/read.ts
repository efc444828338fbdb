// What a scan reads: the overdue debt per customer and currency (paged by due date), and the live cases.
import type { Types } from 'mongoose';
import type { DunningContext } from '../context';
import { DAY_MS } from '../ladder';
import { keyOf, LIVE, LIVE_CASE_FIELDS, OPEN_INVOICE, STAGES } from '../case-keys';
import type { LiveCase } from '../types';

/** Overdue debt of one customer in one currency, summed over its open invoices. */
export interface OverdueDebt {
  customerId: Types.ObjectId;
  currency: string;
  amount: number;
  oldest: number;
  invoiceIds: Types.ObjectId[];
}

/** Adds an open invoice to the debts by customer and currency; false when nothing is left to pay. */
export function addOverdue(
  byKey: Map<string, OverdueDebt>,
  inv: {
    _id: Types.ObjectId;
    customerId: Types.ObjectId;
    currency: string;
    amount: number;
    paid?: number;
    dueAt: Date;
  },
): boolean {
  const open = inv.amount - (inv.paid ?? 0);
  if (open <= OPEN_INVOICE) return false;
  const key = keyOf(inv.customerId, inv.currency);
  const agg = byKey.get(key);
  if (agg) {
    agg.amount += open;
    agg.oldest = Math.min(agg.oldest, inv.dueAt.getTime());
    agg.invoiceIds.push(inv._id);
  } else {
    byKey.set(key, {
      customerId: inv.customerId,
      currency: inv.currency,
      amount: open,
      oldest: inv.dueAt.getTime(),
      invoiceIds: [inv._id],
    });
  }
  return true;
}

/**
 * Overdue open invoices, aggregated per customer and currency. Read in due-date windows going
 * back from now (an indexed range each, sized to about `invoicesPerPage`): the database builds
 * a query's whole result before answering, so one query over everything would hold it all.
 */
export async function readOverdue(
  ctx: DunningContext,
  now: Date,
  opts: { signal?: AbortSignal; pace?: (() => Promise<void>) | undefined },
) {
  const byKey = new Map<string, OverdueDebt>();
  const target = ctx.options.invoicesPerPage;
  let end = now.getTime();
  let span = 7 * DAY_MS;
  let invoices = 0;
  const horizon = now.getTime() - 30 * 365 * DAY_MS;
  const read = (start: number, end: number) => {
    const page = ctx.models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(start), $lt: new Date(end) } },
      { customerId: 1, currency: 1, amount: 1, paid: 1, dueAt: 1 },
    )
      .lean()
      .batchSize(10_000)
      .exec();
    // Awaited below; a page read ahead of an aborted scan must not fail unheard.
    page.catch(() => undefined);
    return page;
  };
  let start = Math.max(horizon, end - span);
  let next = read(start, end);
  while (end > horizon) {
    opts.signal?.throwIfAborted();
    const page = await next;
    await opts.pace?.();
    end = start;
    // Wider windows where invoices are sparse (and far into the past), narrower where dense.
    if (page.length < target / 4) span *= page.length === 0 ? 4 : 2;
    else if (page.length > target) span = Math.max(3_600_000, span / 2);
    // The database builds the next page while this one is added up.
    start = Math.max(horizon, end - span);
    if (end > horizon) next = read(start, end);
    for (const inv of page) {
      if (addOverdue(byKey, inv)) invoices += 1;
    }
  }
  return { byKey, invoices };
}

/** The live cases with what the scan compares, one indexed query per status and stage. */
export async function readLiveCases(ctx: DunningContext): Promise<LiveCase[][]> {
  const parts: LiveCase[][] = [];
  for (const status of LIVE) {
    for (const stage of STAGES) {
      parts.push(await ctx.models.DunningCase.find({ status, stage }, LIVE_CASE_FIELDS).lean<LiveCase[]>());
    }
  }
  return parts;
}
