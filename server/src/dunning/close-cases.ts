// Closing live cases, wherever the ladder finds one paid or gone: the scan, a step, the call guard, an agent's outcome.
import { randomUUID } from 'node:crypto';
import { auditMany, type DunningContext } from './context';
import { LIVE, noLiveClaim } from './case-keys';
import type { CaseToClose } from './types';

/**
 * Closes live cases (one conditional update each, in one bulk write); their waiting callbacks are
 * cancelled. A case with a step claimed and still under way is left open: closing it would drop
 * the record of that step, and the next look closes it.
 */
export async function closeMany(ctx: DunningContext, cases: CaseToClose[], now: Date, reason: string): Promise<number> {
  if (!cases.length) return 0;
  const { models } = ctx;
  const token = randomUUID();
  const res = await models.DunningCase.bulkWrite(
    cases.map((c) => ({
      updateOne: {
        filter: { _id: c._id, status: { $in: [...LIVE] }, ...noLiveClaim(now) },
        update: {
          $set: { status: 'closed' as const, closedAt: now, closedReason: reason, amount: 0 },
          $unset: { nextActionAt: 1, pending: 1, pausedReason: 1 },
          $push: { history: { at: now, action: 'closed', outcome: reason, details: { by: token } } },
        },
      },
    })),
    { ordered: false },
  );
  // What follows is for the cases closed here only (not those closed before, or left open).
  let closed = cases;
  if (res.modifiedCount < cases.length) {
    const ours = new Set(
      (
        await models.DunningCase.find(
          { _id: { $in: cases.map((c) => c._id) }, history: { $elemMatch: { action: 'closed', 'details.by': token } } },
          { _id: 1 },
        ).lean()
      ).map((c) => c._id.toHexString()),
    );
    closed = cases.filter((c) => ours.has(c._id.toHexString()));
  }
  if (!closed.length) return 0;
  await models.Callback.updateMany(
    { dunningCaseId: { $in: closed.map((c) => c._id) }, status: { $in: ['scheduled', 'offered'] } },
    {
      $set: { status: 'cancelled' },
      $push: { attempts: { at: now, outcome: `cancelled: dunning case closed (${reason})` } },
    },
  );
  if (reason === 'paid') {
    const amounts: Record<string, number> = {};
    for (const c of closed) if (c.amount > 0) amounts[c.currency] = (amounts[c.currency] ?? 0) + c.amount;
    await ctx.figures.recovered(amounts);
  }
  await auditMany(
    ctx,
    closed.map((c) => ({
      action: 'dunning.closed',
      entity: 'dunning_case',
      entityId: c._id.toHexString(),
      details: { reason, customerId: c.customerId.toHexString() },
    })),
  );
  return closed.length;
}
