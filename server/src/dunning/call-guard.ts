// The dunning side of the callback dialer's guard: a collections call is offered and dialed only while the case's rules allow it.
import type { Callback } from '../db/schemas/callback.model';
import { isCallable, nextCallable } from '../callbacks/calling-hours';
import type { GuardVerdict } from '../callbacks/callback-dialer';
import { auditMany, type DunningContext } from './context';
import { DAY_MS } from './ladder';
import { closeMany } from './close-cases';
import { owed as owedOn } from './steps/plan';
import type { CaseDoc } from './types';

/**
 * Asked by the callback dialer before a dunning callback is offered and before it is dialed:
 * the case's rules as they are at that moment. Dialing takes one of the case's call attempts
 * (at most `maxCallAttempts` in `callWindowMs`, taken with one conditional update).
 */
export async function checkCallback(
  ctx: DunningContext,
  cb: Callback,
  now: Date,
  moment: 'offer' | 'dial',
): Promise<GuardVerdict> {
  if (!cb.dunningCaseId) return { proceed: true };
  const { models, options } = ctx;
  const c = await models.DunningCase.findById(cb.dunningCaseId).lean();
  const refuse = async (reason: string, postponeTo?: Date): Promise<GuardVerdict> => {
    await auditMany(ctx, [
      {
        action: 'dunning.call_refused',
        entity: 'dunning_case',
        entityId: cb.dunningCaseId?.toHexString(),
        details: { callbackId: cb._id.toHexString(), moment, reason, ...(postponeTo ? { postponeTo } : {}) },
      },
    ]);
    return { proceed: false, reason, ...(postponeTo ? { postponeTo } : {}) };
  };
  if (!c || c.status === 'closed') return refuse('the dunning case is closed');
  if (c.status === 'paused')
    return refuse(c.pausedReason === 'dispute' ? 'the customer disputes the debt' : 'the customer promised to pay');
  const [customer, invoices] = await Promise.all([
    models.Customer.findById(c.customerId, { name: 1, phones: 1, flags: 1, timeZone: 1 }).lean(),
    models.Invoice.find(
      { customerId: c.customerId, status: 'open', currency: c.currency, dueAt: { $lt: now } },
      { amount: 1, paid: 1, dueAt: 1 },
    ).lean(),
  ]);
  if (!customer) return refuse('the customer no longer exists');
  const owed = owedOn(invoices);
  if (owed <= 0) {
    await closeMany(
      ctx,
      [{ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId }],
      now,
      'paid',
    );
    return refuse('the balance is paid');
  }
  if (customer.flags?.doNotCall) return refuse('the customer asked not to be called (do-not-call)');
  if (customer.phones.some((p) => p.e164 === cb.phone && p.wrongNumber))
    return refuse('the number is flagged as a wrong number');
  if (!isCallable(now, customer.timeZone))
    return refuse('outside the customer\u2019s calling hours', nextCallable(now, customer.timeZone));
  const windowStart = new Date(now.getTime() - options.callWindowMs);
  const recent = c.callAttempts.filter((a) => a > windowStart).sort((a, b) => a.getTime() - b.getTime());
  const capped = () => nextCallable(new Date((recent[0] ?? now).getTime() + options.callWindowMs), customer.timeZone);
  const cap = `${options.maxCallAttempts} call attempts in the last ${Math.round(options.callWindowMs / DAY_MS)} days`;
  if (recent.length >= options.maxCallAttempts) return refuse(cap, capped());
  if (moment === 'offer') return { proceed: true };
  if (!(await takeAttempt(ctx, c, cb, now, windowStart))) return refuse(cap, capped());
  await auditMany(ctx, [
    {
      action: 'dunning.call_attempt',
      entity: 'dunning_case',
      entityId: c._id.toHexString(),
      details: { callbackId: cb._id.toHexString(), to: cb.phone },
    },
  ]);
  return { proceed: true };
}

/** Takes an attempt: old ones leave the window first, then a conditional push that cannot pass the cap. */
async function takeAttempt(
  ctx: DunningContext,
  c: CaseDoc,
  cb: Callback,
  now: Date,
  windowStart: Date,
): Promise<boolean> {
  const { models, options } = ctx;
  await models.DunningCase.updateOne({ _id: c._id }, { $pull: { callAttempts: { $lte: windowStart } } });
  const taken = await models.DunningCase.updateOne(
    { _id: c._id, status: 'open', [`callAttempts.${options.maxCallAttempts - 1}`]: { $exists: false } },
    {
      $push: {
        callAttempts: now,
        history: { at: now, action: 'call_attempt', details: { callbackId: cb._id.toHexString(), to: cb.phone } },
      },
    },
  );
  return taken.modifiedCount > 0;
}
