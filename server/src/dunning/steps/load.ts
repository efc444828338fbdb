// Reading a batch of cases with everything their plans look at: customers, open invoices, last calls, disputes.
import { Types } from 'mongoose';
import type { DunningContext } from '../context';
import { callKey } from '../case-keys';
import type { CaseDoc, CustomerDoc, InvoiceDoc } from '../types';
import type { PlanFacts } from './plan';

export interface Batch extends PlanFacts {
  cases: CaseDoc[];
  customers: Map<string, CustomerDoc>;
  /** The case's customer's open overdue invoices in its currency. */
  invoicesOf: (c: CaseDoc) => InvoiceDoc[];
}

/** Reads what a batch of cases needs in three queries. */
export async function load(ctx: DunningContext, ids: Types.ObjectId[], now: Date): Promise<Batch> {
  const { models } = ctx;
  const cases = await models.DunningCase.find({ _id: { $in: ids } }).lean();
  const customerIds = [...new Set(cases.map((c) => c.customerId.toHexString()))].map((id) => new Types.ObjectId(id));
  const roundKeys = cases.filter((c) => c.callRounds > 0).map((c) => callKey(c._id, c.callRounds));
  const disputeIds = cases.flatMap((c) =>
    c.status === 'paused' && c.pausedReason === 'dispute' && c.disputeCaseId ? [c.disputeCaseId] : [],
  );
  const [customers, invoices, callbacks, disputes] = await Promise.all([
    models.Customer.find(
      { _id: { $in: customerIds } },
      { name: 1, phones: 1, flags: 1, timeZone: 1, address: 1, language: 1, country: 1 },
    ).lean(),
    models.Invoice.find(
      { customerId: { $in: customerIds }, status: 'open', dueAt: { $lt: now } },
      { customerId: 1, currency: 1, number: 1, amount: 1, paid: 1, dueAt: 1, paymentReference: 1 },
    ).lean(),
    roundKeys.length
      ? models.Callback.find(
          { naturalKey: { $in: roundKeys } },
          { naturalKey: 1, status: 1, dueAt: 1, attempts: 1, phone: 1 },
        ).lean()
      : [],
    disputeIds.length ? models.Case.find({ _id: { $in: disputeIds } }, { status: 1 }).lean() : [],
  ]);
  const byCustomer = new Map<string, InvoiceDoc[]>();
  for (const inv of invoices) {
    const list = byCustomer.get(inv.customerId.toHexString()) ?? [];
    list.push(inv);
    byCustomer.set(inv.customerId.toHexString(), list);
  }
  return {
    cases,
    customers: new Map(customers.map((c) => [c._id.toHexString(), c as CustomerDoc])),
    invoicesOf: (c: CaseDoc) =>
      (byCustomer.get(c.customerId.toHexString()) ?? []).filter((i) => i.currency === c.currency),
    callbacks: new Map(callbacks.map((cb) => [cb.naturalKey, cb])),
    disputes: new Map(disputes.map((d) => [d._id.toHexString(), d.status])),
  };
}
