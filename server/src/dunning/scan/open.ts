// Opening cases for debts that have none: the new documents, inserted in chunks, a case another scan opened first left out.
import { Types, mongo } from 'mongoose';
import { auditMany, type DunningContext } from '../context';
import { DAY_MS, round2 } from '../ladder';
import type { CaseDoc, CaseState } from '../types';
import type { OverdueDebt } from './read';

/** A new case for a debt, the n-th of that customer and currency; looked at when the first rung is due. */
export function newCase(key: string, agg: OverdueDebt, n: number, firstDay: number, now: Date): Partial<CaseDoc> {
  const amount = round2(agg.amount);
  return {
    _id: new Types.ObjectId(),
    customerId: agg.customerId,
    currency: agg.currency,
    caseKey: `${key}|${n}`,
    status: 'open',
    stage: 'none',
    invoiceIds: agg.invoiceIds,
    amount,
    oldestDueAt: new Date(agg.oldest),
    history: [{ at: now, action: 'opened', details: { amount, invoices: agg.invoiceIds.length } }],
    stepsDone: [],
    callAttempts: [],
    messages: [],
    callRounds: 0,
    openedAt: now,
    // Looked at when the first rung is due (at once for a debt found late).
    nextActionAt: new Date(agg.oldest + firstDay * DAY_MS),
  };
}

/** Inserts the new cases in chunks; the ones inserted here join `live`. How many were opened. */
export async function openCases(
  ctx: DunningContext,
  inserts: Array<Partial<CaseDoc>>,
  live: Map<string, CaseState>,
): Promise<number> {
  let opened = 0;
  for (let i = 0; i < inserts.length; i += 5000) {
    const chunk = inserts.slice(i, i + 5000);
    const ok = await insertIgnoringDuplicates(ctx, chunk);
    opened += ok.length;
    for (const c of ok) live.set(c._id?.toHexString() ?? '', { status: 'open', stage: 'none' });
    await auditMany(
      ctx,
      ok.map((c) => ({
        action: 'dunning.opened',
        entity: 'dunning_case',
        entityId: c._id?.toHexString(),
        details: { customerId: c.customerId?.toHexString(), amount: c.amount, currency: c.currency },
      })),
    );
  }
  return opened;
}

async function insertIgnoringDuplicates(
  ctx: DunningContext,
  docs: Array<Partial<CaseDoc>>,
): Promise<Array<Partial<CaseDoc>>> {
  if (!docs.length) return [];
  try {
    await ctx.models.DunningCase.insertMany(docs, { ordered: false, lean: true });
    return docs;
  } catch (err) {
    // Another scan opened some of them first (the unique live-case index): keep ours only.
    if (!(err instanceof mongo.MongoBulkWriteError) || err.writeErrors === undefined) throw err;
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.some((e) => e.code !== 11000)) throw err;
    const failed = new Set(errors.map((e) => e.index));
    return docs.filter((_, i) => !failed.has(i));
  }
}
