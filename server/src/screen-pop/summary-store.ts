// Pop summaries in the database: one document per customer (`popsummaries`, `_id` = customer id)
// holding what its pop shows. Written by the watcher (summaries.ts), by the backfill and, when a
// call finds none or a stale one, by the call path after a full build.
import type { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { PopSummary } from '../db/schemas/pop-summary.model';
import type { CustomerDoc } from '../calls/caller-resolution';
import { isDuplicateKey } from '../errors';
import { upsertWrite } from '../db/upsert';
import {
  POP_PART_VERSION,
  customerPopSchema,
  dunningOf,
  lastInteractionsOf,
  openCasesOf,
  readCustomerPop,
  recentPurchasesOf,
  suggestionsOf,
  type CustomerPopFacts,
} from './pop-part';
import { readActiveDunning, readLastInteractions, readOpenCases, readOpenInvoices, readRecentOrders } from './pop-rows';

/** A stored summary as read: its facts when it can be used for `customer`, and its revision. */
export interface StoredSummary {
  rev: number;
  /** Undefined when the summary is of another version, unreadable, or older than the customer document. */
  facts?: CustomerPopFacts;
}

/** One read by id. Undefined: there is none. */
export async function readSummary(models: Models, customer: CustomerDoc): Promise<StoredSummary | undefined> {
  const doc = await models.PopSummary.findById(customer._id).lean<PopSummary>();
  if (!doc) return undefined;
  return { rev: doc.rev, ...(usable(doc, customer) ? { facts: factsOf(doc) } : {}) };
}

function usable(doc: PopSummary, customer: CustomerDoc): boolean {
  return doc.version === POP_PART_VERSION && sameTime(doc.customerUpdatedAt, customer.updatedAt);
}

function sameTime(a: Date | null | undefined, b: Date | null | undefined): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

function factsOf(doc: PopSummary): CustomerPopFacts | undefined {
  const part = customerPopSchema.safeParse(doc.part);
  if (!part.success) return undefined;
  return { part: part.data, dues: doc.dues.map((d) => ({ dueAt: d.dueAt, open: d.open })) };
}

function contentOf(customer: CustomerDoc, facts: CustomerPopFacts, builtAt: Date) {
  return {
    version: POP_PART_VERSION,
    customerUpdatedAt: customer.updatedAt ?? null,
    builtAt,
    part: facts.part,
    dues: facts.dues,
  };
}

/** The watcher's write: whatever is there is replaced (it reads after every change it rebuilds for). */
export async function writeSummary(
  models: Models,
  customer: CustomerDoc,
  facts: CustomerPopFacts,
  builtAt: Date,
): Promise<void> {
  await upsertWrite(() =>
    models.PopSummary.updateOne(
      { _id: customer._id },
      { $set: contentOf(customer, facts, builtAt), $inc: { rev: 1 } },
      { upsert: true },
    ),
  );
}

/**
 * The call path's write: only over the revision read before the build (`seen` undefined: only
 * when there is none), so a build that read older data never replaces the watcher's newer one.
 * False when someone else wrote meanwhile (theirs stays). The backfill's write, for one customer.
 */
export async function writeSummaryIfUnchanged(
  models: Models,
  customer: CustomerDoc,
  facts: CustomerPopFacts,
  builtAt: Date,
  seen: number | undefined,
): Promise<boolean> {
  return (await writeSummariesIfUnchanged(models, [{ customer, facts, seen }], builtAt)) === 1;
}

/**
 * Conditional writes of many customers' summaries in one round trip (the backfill; one for the call path), each only over the revision read before its build. Answers how many
 * were written; the others were written by someone else meanwhile (theirs stays).
 */
export async function writeSummariesIfUnchanged(
  models: Models,
  entries: readonly { customer: CustomerDoc; facts: CustomerPopFacts; seen: number | undefined }[],
  builtAt: Date,
): Promise<number> {
  if (entries.length === 0) return 0;
  const ops = entries.map(({ customer, facts, seen }) => {
    const content = contentOf(customer, facts, builtAt);
    return seen === undefined
      ? { insertOne: { document: { _id: customer._id, rev: 1, ...content } } }
      : { updateOne: { filter: { _id: customer._id, rev: seen }, update: { $set: content, $inc: { rev: 1 } } } };
  });
  try {
    const result = await models.PopSummary.collection.bulkWrite(ops, { ordered: false });
    return result.insertedCount + result.modifiedCount;
  } catch (err) {
    // Unordered: every other write was carried out; only inserts that met a summary written meanwhile failed.
    const result = (err as { result?: { insertedCount?: number; modifiedCount?: number } }).result;
    const raw = (err as { writeErrors?: unknown }).writeErrors;
    const writeErrors = Array.isArray(raw) ? (raw as unknown[]) : raw ? [raw] : [];
    if (!result || writeErrors.length === 0 || !writeErrors.every(isDuplicateKey)) throw err;
    return (result.insertedCount ?? 0) + (result.modifiedCount ?? 0);
  }
}

/** Rebuilds one customer's summary with the full build (a customer that is gone loses it). */
export async function rebuildSummary(models: Models, customerId: Types.ObjectId, now: Date): Promise<void> {
  const customer = await models.Customer.findById(customerId, { nameKeys: 0 }).lean<CustomerDoc>();
  if (!customer) {
    await models.PopSummary.deleteOne({ _id: customerId });
    return;
  }
  await writeSummary(models, customer, await readCustomerPop(models, customer), now);
}

/** The parts of a summary that one kind of write changes (the others stay as they are). */
export type SummaryPart = 'lastInteractions' | 'recentPurchases' | 'openCases' | 'suggestions' | 'dunning';

/**
 * Re-reads only `parts` of a customer's summary and sets them (an interaction → its last
 * interactions: one read, not the full build). A customer without a summary of this version gets
 * the full build instead.
 */
export async function refreshSummaryParts(
  models: Models,
  customerId: Types.ObjectId,
  parts: ReadonlySet<SummaryPart>,
  now: Date,
): Promise<void> {
  const set: Record<string, unknown> = { builtAt: now };
  const unset: Record<string, 1> = {};
  await Promise.all(
    [...parts].map(async (part) => {
      const value = await readPart(models, customerId, part);
      if (value === undefined)
        unset[`part.${part}`] = 1; // no dunning case any more
      else set[`part.${part}`] = value;
    }),
  );
  const result = await models.PopSummary.updateOne(
    { _id: customerId, version: POP_PART_VERSION },
    { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $inc: { rev: 1 } },
  );
  if (result.matchedCount === 0) await rebuildSummary(models, customerId, now);
}

async function readPart(models: Models, customerId: Types.ObjectId, part: SummaryPart): Promise<unknown> {
  switch (part) {
    case 'lastInteractions':
      return lastInteractionsOf(await readLastInteractions(models, customerId));
    case 'recentPurchases':
      return recentPurchasesOf(await readRecentOrders(models, customerId));
    case 'openCases':
      return openCasesOf(await readOpenCases(models, customerId));
    case 'suggestions':
      return suggestionsOf(await models.CustomerSuggestions.findById(customerId, { items: 1 }).lean());
    case 'dunning': {
      // The case's invoices come from the open ones, as in the full build (its amounts owed do not
      // change with a dunning case: an invoice or payment gets the full build).
      const [dunning, invoices] = await Promise.all([
        readActiveDunning(models, customerId),
        readOpenInvoices(models, customerId),
      ]);
      return dunning ? dunningOf(dunning, invoices) : undefined;
    }
  }
}
