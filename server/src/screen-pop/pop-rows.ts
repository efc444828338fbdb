// The documents a screen pop is made of: read for one customer at call time (one round of
// parallel indexed reads), or for every customer of an `_id` range at once (the backfill: one
// range read per collection instead of a round per customer). pop-part.ts makes the pop of them.
import type { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Order } from '../db/schemas/order.model';
import type { Invoice } from '../db/schemas/invoice.model';
import type { Case } from '../db/schemas/case.model';
import type { Interaction } from '../db/schemas/interaction.model';
import type { DunningCase } from '../db/schemas/dunning-case.model';
import type { CustomerSuggestions } from '../db/schemas/suggestion.model';
import type { CustomerDoc } from '../calls/caller-resolution';

const RECENT_LINES = 10;
const LAST_INTERACTIONS = 5;
const OPEN_CASES = 5;
/** Open invoices a pop reads of one customer, at most. */
const OPEN_INVOICES = 1000;

export const POP_LIMITS = { recentLines: RECENT_LINES, lastInteractions: LAST_INTERACTIONS, openCases: OPEN_CASES };

/** The documents a pop is made of, as read for one customer (pop-rows.ts reads them for many at once). */
export interface PopRows {
  owner: { _id: Types.ObjectId; name: string } | null;
  /** Open invoices, by due date (then id). */
  invoices: OpenInvoiceRow[];
  /** The newest orders, newest first (then by id, newest first). */
  orders: Pick<Order, '_id' | 'lines' | 'placedAt'>[];
  suggestions: Pick<CustomerSuggestions, 'items'> | null;
  /** Open and pending cases, newest first (then by id). */
  cases: Pick<Case, '_id' | 'number' | 'subject' | 'status' | 'priority' | 'openedAt'>[];
  /** The last interactions, newest first (then by id). */
  interactions: Interaction[];
  /** The open or paused dunning case (the newest opened, should there be several). */
  dunning: DunningCase | null;
}
type OpenInvoiceRow = Pick<Invoice, '_id' | 'amount' | 'paid' | 'dueAt' | 'currency' | 'number'>;

export const INVOICE_FIELDS = { amount: 1, paid: 1, dueAt: 1, currency: 1, number: 1 } as const;
export const ORDER_FIELDS = { lines: 1, placedAt: 1 } as const;
export const CASE_FIELDS = { number: 1, subject: 1, status: 1, priority: 1, openedAt: 1 } as const;
export const OPEN_CASE_STATUSES = ['open', 'pending'] as const;
export const ACTIVE_DUNNING_STATUSES = ['open', 'paused'] as const;

export async function readPopRows(models: Models, customer: CustomerDoc): Promise<PopRows> {
  const customerId: Types.ObjectId = customer._id;
  const [owner, invoices, orders, suggestions, cases, interactions, dunning] = await Promise.all([
    customer.ownerId ? models.User.findById(customer.ownerId, { name: 1 }).lean() : null,
    readOpenInvoices(models, customerId),
    readRecentOrders(models, customerId),
    models.CustomerSuggestions.findById(customerId, { items: 1 }).lean(),
    readOpenCases(models, customerId),
    readLastInteractions(models, customerId),
    readActiveDunning(models, customerId),
  ]);
  return { owner, invoices, orders, suggestions, cases, interactions, dunning };
}

export const readOpenInvoices = (models: Models, customerId: Types.ObjectId) =>
  models.Invoice.find({ customerId, status: 'open' }, INVOICE_FIELDS)
    .sort({ dueAt: 1, _id: 1 })
    .limit(OPEN_INVOICES)
    .lean();

export const readActiveDunning = (models: Models, customerId: Types.ObjectId) =>
  models.DunningCase.findOne({ customerId, status: { $in: [...ACTIVE_DUNNING_STATUSES] } })
    .sort({ openedAt: -1, _id: -1 })
    .lean();

export const readRecentOrders = (models: Models, customerId: Types.ObjectId) =>
  models.Order.find({ customerId }, ORDER_FIELDS).sort({ placedAt: -1, _id: -1 }).limit(RECENT_LINES).lean();

export const readOpenCases = (models: Models, customerId: Types.ObjectId) =>
  models.Case.find({ customerId, status: { $in: [...OPEN_CASE_STATUSES] } }, CASE_FIELDS)
    .sort({ openedAt: -1, _id: -1 })
    .limit(OPEN_CASES)
    .lean();

export const readLastInteractions = (models: Models, customerId: Types.ObjectId) =>
  models.Interaction.find({ customerId }).sort({ at: -1, _id: -1 }).limit(LAST_INTERACTIONS).lean<Interaction[]>();

/** Rows read for a whole range at once, at most this many per collection (more: those customers are read one by one). */
const RANGE_ROWS = 20_000;

/**
 * The rows of every customer in `customers`, whose ids all lie in `range`: one read per collection
 * over `customerId` in the same range (ranges on an index, never `$in` over many ids). Customers whose
 * rows did not all fit in one read are read one by one (`readPopRows`).
 */
export async function readPopRowsInRange(
  models: Models,
  customers: readonly CustomerDoc[],
  range: { $gte: Types.ObjectId; $lt?: Types.ObjectId },
): Promise<Map<string, PopRows>> {
  const ownerIds = [...new Set(customers.flatMap((c) => (c.ownerId ? [c.ownerId.toHexString()] : [])))];
  const [owners, invoices, orders, suggestions, cases, interactions, dunning] = await Promise.all([
    ownerIds.length > 0 ? models.User.find({ _id: { $in: ownerIds } }, { name: 1 }).lean() : [],
    models.Invoice.find({ customerId: range, status: 'open' }, { ...INVOICE_FIELDS, customerId: 1 })
      .limit(RANGE_ROWS + 1)
      .lean(),
    models.Order.find({ customerId: range }, { ...ORDER_FIELDS, customerId: 1 })
      .limit(RANGE_ROWS + 1)
      .lean(),
    models.CustomerSuggestions.find({ _id: range }, { items: 1 }).lean(),
    models.Case.find({ customerId: range, status: { $in: [...OPEN_CASE_STATUSES] } }, { ...CASE_FIELDS, customerId: 1 })
      .limit(RANGE_ROWS + 1)
      .lean(),
    models.Interaction.find({ customerId: range })
      .limit(RANGE_ROWS + 1)
      .lean<Interaction[]>(),
    models.DunningCase.find({ customerId: range, status: { $in: [...ACTIVE_DUNNING_STATUSES] } })
      .limit(RANGE_ROWS + 1)
      .lean(),
  ]);
  if ([invoices, orders, cases, interactions, dunning].some((list) => list.length > RANGE_ROWS)) {
    // Too much in this range for one read: every customer's own round (bounded per customer).
    const each = new Map<string, PopRows>();
    for (const customer of customers) each.set(customer._id.toHexString(), await readPopRows(models, customer));
    return each;
  }
  const ownerById = new Map(owners.map((o) => [o._id.toHexString(), o]));
  const by = <T extends { customerId?: Types.ObjectId | null }>(list: T[]) => {
    const groups = new Map<string, T[]>();
    for (const item of list) {
      const key = item.customerId?.toHexString();
      if (!key) continue;
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }
    return groups;
  };
  const invoicesOf = by(invoices);
  const ordersOf = by(orders);
  const casesOf = by(cases);
  const interactionsOf = by(interactions);
  const dunningOf = by(dunning);
  const suggestionsById = new Map(suggestions.map((s) => [s._id.toHexString(), s]));
  const rows = new Map<string, PopRows>();
  for (const customer of customers) {
    const id = customer._id.toHexString();
    rows.set(id, {
      owner: (customer.ownerId && ownerById.get(customer.ownerId.toHexString())) || null,
      // The same orders and cut-offs as the reads of one customer (readPopRows).
      invoices: (invoicesOf.get(id) ?? []).sort(byDateThenId('dueAt', 1)).slice(0, OPEN_INVOICES),
      orders: (ordersOf.get(id) ?? []).sort(byDateThenId('placedAt', -1)).slice(0, RECENT_LINES),
      suggestions: suggestionsById.get(id) ?? null,
      cases: (casesOf.get(id) ?? []).sort(byDateThenId('openedAt', -1)).slice(0, OPEN_CASES),
      interactions: (interactionsOf.get(id) ?? []).sort(byDateThenId('at', -1)).slice(0, LAST_INTERACTIONS),
      dunning: (dunningOf.get(id) ?? []).sort(byDateThenId('openedAt', -1))[0] ?? null,
    });
  }
  return rows;
}

/** Sorts by a date field in `direction`, ties by `_id` in the same direction (as the reads' sorts). */
function byDateThenId<K extends string>(field: K, direction: 1 | -1) {
  return (a: { [k in K]: Date } & { _id: Types.ObjectId }, b: { [k in K]: Date } & { _id: Types.ObjectId }) => {
    const byField = a[field].getTime() - b[field].getTime();
    if (byField !== 0) return byField * direction;
    return a._id.toHexString() < b._id.toHexString()
      ? -direction
      : a._id.toHexString() > b._id.toHexString()
        ? direction
        : 0;
  };
}
