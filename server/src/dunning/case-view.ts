// Reading cases: the list for supervisors, legal and admins, one case with its invoices, and its documents, for those who may read them.
import { Types } from 'mongoose';
import type { DunningCaseView } from '@ringside/shared';
import { dunningCaseQuerySchema } from '@ringside/shared';
import type { Viewer } from '../auth/viewer';
import { toObjectId } from '../db/ids';
import { notFound, parseOrThrow } from '../errors';
import { authorize, subjects, type SubjectRecord } from '../auth/policy';
import type { DunningContext } from './context';
import type { DocumentKind } from './documents';
import { round2 } from './ladder';
import type { CaseDoc } from './types';

export async function listCases(
  ctx: DunningContext,
  input: unknown,
): Promise<{ cases: DunningCaseView[]; hasMore: boolean }> {
  const q = parseOrThrow(dunningCaseQuerySchema, input, 'dunning case query');
  const filter: Record<string, unknown> = {};
  if (q.status) filter.status = q.status;
  if (q.stage) filter.stage = q.stage;
  if (q.customerId) filter.customerId = new Types.ObjectId(q.customerId);
  if (q.before) filter.openedAt = { $lt: new Date(q.before) };
  const found = await ctx.models.DunningCase.find(filter, { history: { $slice: -20 }, pending: 0 })
    .sort({ openedAt: -1 })
    .limit(q.limit + 1)
    .lean();
  const names = new Map(
    (await ctx.models.Customer.find({ _id: { $in: found.map((c) => c.customerId) } }, { name: 1 }).lean()).map((c) => [
      c._id.toHexString(),
      c.name,
    ]),
  );
  return {
    cases: found.slice(0, q.limit).map((c) => caseView(c, names.get(c.customerId.toHexString()))),
    hasMore: found.length > q.limit,
  };
}

export async function getCase(ctx: DunningContext, id: string, viewer: Viewer): Promise<{ case: DunningCaseView }> {
  const oid = toObjectId(id, 'dunning case id');
  const c = await ctx.models.DunningCase.findById(oid, { customerId: 1 }).lean();
  if (!c) throw notFound('dunning case');
  await assertMayRead(ctx, viewer, c.customerId, subjects.dunningCase);
  return { case: await viewCase(ctx, oid, true) };
}

/** The letter or the legal summary of a case, for those who may read the case. */
export async function caseDocument(ctx: DunningContext, id: string, kind: DocumentKind, viewer: Viewer) {
  const oid = toObjectId(id, 'dunning case id');
  const c = await ctx.models.DunningCase.findById(oid, { customerId: 1 }).lean();
  if (!c) throw notFound('dunning case');
  await assertMayRead(ctx, viewer, c.customerId, (customer) => subjects.document(kind, customer));
  const doc = await ctx.documents.get(oid, kind);
  if (!doc) throw notFound(kind === 'letter' ? 'letter' : 'legal summary');
  return doc;
}

/** One case as the console shows it, with its invoices when asked. */
export async function viewCase(
  ctx: DunningContext,
  id: Types.ObjectId,
  withInvoices: boolean,
): Promise<DunningCaseView> {
  const c = await ctx.models.DunningCase.findById(id).lean();
  if (!c) throw notFound('dunning case');
  const [customer, invoices] = await Promise.all([
    ctx.models.Customer.findById(c.customerId, { name: 1 }).lean(),
    withInvoices
      ? ctx.models.Invoice.find({ _id: { $in: c.invoiceIds } }, { number: 1, amount: 1, paid: 1, dueAt: 1 }).lean()
      : [],
  ]);
  return {
    ...caseView(c, customer?.name),
    invoices: invoices
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .map((i) => ({
        id: i._id.toHexString(),
        number: i.number,
        amount: i.amount,
        open: round2(i.amount - (i.paid ?? 0)),
        dueAt: i.dueAt.toISOString(),
      })),
  };
}

/** Supervisors, admins and legal read every case and document; an agent those of customers it may see. */
async function assertMayRead(
  ctx: DunningContext,
  viewer: Viewer,
  customerId: Types.ObjectId,
  record: (customer: { ownerId?: Types.ObjectId } | null) => SubjectRecord,
): Promise<void> {
  const customer = await ctx.models.Customer.findById(customerId, { ownerId: 1 }).lean();
  authorize(await ctx.customers.abilityFor(viewer), 'read', record(customer));
}

export function caseView(c: CaseDoc, customerName?: string): DunningCaseView {
  return {
    id: c._id.toHexString(),
    customerId: c.customerId.toHexString(),
    ...(customerName ? { customerName } : {}),
    currency: c.currency,
    status: c.status,
    stage: c.stage,
    amount: c.amount,
    oldestDueAt: c.oldestDueAt.toISOString(),
    openedAt: c.openedAt.toISOString(),
    ...(c.closedAt ? { closedAt: c.closedAt.toISOString() } : {}),
    ...(c.closedReason ? { closedReason: c.closedReason } : {}),
    ...(c.pausedReason ? { pausedReason: c.pausedReason } : {}),
    ...(c.nextActionAt ? { nextActionAt: c.nextActionAt.toISOString() } : {}),
    ...(c.promiseToPay?.date
      ? { promiseToPay: { date: c.promiseToPay.date.toISOString(), amount: c.promiseToPay.amount } }
      : {}),
    ...(c.letterPath ? { letterUrl: c.letterPath } : {}),
    ...(c.legalSummaryPath ? { legalSummaryUrl: c.legalSummaryPath } : {}),
    ...(c.legalCaseId ? { legalCaseId: c.legalCaseId.toHexString() } : {}),
    callAttempts: c.callAttempts?.length ?? 0,
    history: c.history.map((h) => ({
      at: h.at.toISOString(),
      action: h.action,
      ...(h.stage ? { stage: h.stage } : {}),
      ...(h.outcome ? { outcome: h.outcome } : {}),
    })),
  };
}
