// The customer-dependent part of a screen pop, read in one round of parallel indexed queries, and
// the pop assembled from it at a given moment. The full build (screen-pop.service.ts) and the pop
// summaries (summaries.ts) both go through here, so they cannot disagree in logic.
import { z } from 'zod';
import { popCustomerSchema, screenPopSchema, type PopCustomer, type ScreenPop } from '@ringside/shared';
import type { Models } from '../db/models';
import type { PopDue } from '../db/schemas/pop-summary.model';
import type { CallerResolution, CustomerDoc } from '../calls/caller-resolution';
import { interactionView } from '../interactions/interaction.view';
import { POP_LIMITS, readPopRows, type PopRows } from './pop-rows';

const DAY = 86_400_000;

/** Raise when the part's shape or meaning changes: stored summaries of another version are rebuilt. */
export const POP_PART_VERSION = 1;

/** What the pop shows of a customer that does not depend on the moment (stored in a pop summary). */
export const customerPopSchema = screenPopSchema
  .pick({
    creditTerms: true,
    recentPurchases: true,
    suggestions: true,
    openCases: true,
    lastInteractions: true,
    dunning: true,
  })
  .extend({
    customer: popCustomerSchema,
    /** The balance's currency and what is open in it (rounded). */
    currency: z.string(),
    outstanding: z.number(),
  });
export type CustomerPop = z.infer<typeof customerPopSchema>;

/** The part plus the open invoices the moment-dependent figures are computed from. */
export interface CustomerPopFacts {
  part: CustomerPop;
  dues: PopDue[];
}

export interface PopCall {
  callId: string;
  receivedAt: Date;
  caller: { raw: string; e164: string | null };
  resolution: Pick<CallerResolution, 'match' | 'customers' | 'customer'>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The pop of a call at `now`: call-specific fields, and the customer's part when there is one. */
export function assemblePop(call: PopCall, facts: CustomerPopFacts | undefined, now: Date): ScreenPop {
  const { resolution } = call;
  const part = facts?.part;
  return {
    callId: call.callId,
    receivedAt: call.receivedAt.toISOString(),
    caller: call.caller,
    match: resolution.match,
    ...(part ? { customer: part.customer } : {}),
    ...(resolution.match === 'multiple'
      ? { candidates: resolution.customers.map((c) => ({ id: c._id.toString(), name: c.name, labels: c.labels })) }
      : {}),
    balance: facts
      ? balanceAt(facts.part.currency, facts.part.outstanding, facts.dues, now)
      : { currency: 'EUR', outstanding: 0, overdue: 0, oldestOverdueDays: 0 },
    creditTerms: part?.creditTerms ?? { limit: 0, paymentTermsDays: 0, available: 0 },
    recentPurchases: part?.recentPurchases ?? [],
    suggestions: part?.suggestions ?? [],
    openCases: part?.openCases ?? [],
    lastInteractions: part?.lastInteractions ?? [],
    ...(part?.dunning ? { dunning: part.dunning } : {}),
  };
}

/** Overdue amount and age at `now`, from the open invoices (in the order they were read). */
export function balanceAt(
  currency: string,
  outstanding: number,
  dues: readonly PopDue[],
  now: Date,
): ScreenPop['balance'] {
  let overdue = 0;
  let oldestDue: Date | undefined;
  for (const due of dues) {
    if (due.dueAt < now) {
      overdue += due.open;
      if (!oldestDue || due.dueAt < oldestDue) oldestDue = due.dueAt;
    }
  }
  return {
    currency,
    outstanding,
    overdue: round2(overdue),
    oldestOverdueDays: oldestDue ? Math.floor((now.getTime() - oldestDue.getTime()) / DAY) : 0,
  };
}

/** One round of parallel indexed reads (no joins): everything the pop shows of `customer`. */
export async function readCustomerPop(models: Models, customer: CustomerDoc): Promise<CustomerPopFacts> {
  return composeCustomerPop(customer, await readPopRows(models, customer));
}

/** The pop's part of `customer` from its rows (pure: the full build, the backfill and the checker agree). */
export function composeCustomerPop(customer: CustomerDoc, rows: PopRows): CustomerPopFacts {
  const { owner, invoices, orders, suggestions, cases, interactions, dunning } = rows;
  const currency = customer.creditTerms?.currency ?? 'EUR';
  let outstanding = 0;
  const dues: PopDue[] = [];
  for (const inv of invoices) {
    if (inv.currency !== currency) continue;
    const open = inv.amount - (inv.paid ?? 0);
    if (open <= 0) continue;
    outstanding += open;
    dues.push({ dueAt: inv.dueAt, open });
  }
  const limit = customer.creditTerms?.limit ?? 0;
  const part: CustomerPop = {
    customer: toPopCustomer(customer, owner ? { id: owner._id.toString(), name: owner.name } : undefined),
    currency,
    outstanding: round2(outstanding),
    creditTerms: {
      limit,
      paymentTermsDays: customer.creditTerms?.paymentTermsDays ?? 0,
      available: round2(Math.max(0, limit - outstanding)),
    },
    recentPurchases: recentPurchasesOf(orders),
    suggestions: suggestionsOf(suggestions),
    openCases: openCasesOf(cases),
    lastInteractions: lastInteractionsOf(interactions),
    ...(dunning ? { dunning: dunningOf(dunning, invoices) } : {}),
  };
  return { part, dues };
}

/** Why we are calling: the open or paused dunning case, its invoices (from the open ones) and its last reminder. */
export function dunningOf(
  dunning: NonNullable<PopRows['dunning']>,
  invoices: PopRows['invoices'],
): NonNullable<CustomerPop['dunning']> {
  const lastAction = dunning.history.at(-1);
  const caseInvoices = invoices
    .filter((i) => dunning.invoiceIds.some((id) => id.equals(i._id)))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  const lastReminder = dunning.history.findLast((h) => h.action === 'sms' || h.action === 'letter');
  const lastMessage = lastReminder?.action === 'sms' ? dunning.messages?.at(-1) : undefined;
  return {
    id: dunning._id.toString(),
    stage: dunning.stage,
    status: dunning.status,
    amount: dunning.amount,
    currency: dunning.currency,
    ...(lastAction?.at ? { lastAction: { type: lastAction.action, at: lastAction.at.toISOString() } } : {}),
    ...(dunning.promiseToPay?.date
      ? { promiseToPay: { date: dunning.promiseToPay.date.toISOString(), amount: dunning.promiseToPay.amount } }
      : {}),
    invoices: caseInvoices.map((i) => ({
      number: i.number,
      amount: i.amount,
      open: round2(i.amount - (i.paid ?? 0)),
      dueAt: i.dueAt.toISOString(),
    })),
    ...(lastReminder
      ? {
          lastReminder: {
            type: lastReminder.action,
            at: lastReminder.at.toISOString(),
            ...(lastMessage ? { status: lastMessage.status } : {}),
          },
        }
      : {}),
    ...(dunning.pausedReason ? { pausedReason: dunning.pausedReason } : {}),
  };
}

export const recentPurchasesOf = (orders: PopRows['orders']): CustomerPop['recentPurchases'] =>
  orders
    .flatMap((o) =>
      o.lines.map((l) => ({
        orderId: o._id.toString(),
        placedAt: o.placedAt.toISOString(),
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        amount: round2(l.quantity * l.unitPrice),
      })),
    )
    .slice(0, POP_LIMITS.recentLines);

export const suggestionsOf = (suggestions: PopRows['suggestions']): CustomerPop['suggestions'] =>
  (suggestions?.items ?? []).map((s) => ({ sku: s.sku, name: s.name, reason: s.reason, score: s.score }));

export const openCasesOf = (cases: PopRows['cases']): CustomerPop['openCases'] =>
  cases.map((c) => ({
    id: c._id.toString(),
    number: c.number,
    subject: c.subject,
    status: c.status,
    priority: c.priority,
    openedAt: c.openedAt.toISOString(),
  }));

export const lastInteractionsOf = (interactions: PopRows['interactions']): CustomerPop['lastInteractions'] =>
  interactions.map(interactionView);

export function toPopCustomer(c: CustomerDoc, owner?: { id: string; name: string }): PopCustomer {
  return {
    id: c._id.toString(),
    kind: c.kind,
    name: c.name,
    ...(c.email ? { email: c.email } : {}),
    phones: c.phones.map((p) => ({ raw: p.raw, e164: p.e164, type: p.type })),
    contacts: c.contacts.map((k) => ({
      name: k.name,
      ...(k.role ? { role: k.role } : {}),
      ...(k.email ? { email: k.email } : {}),
      phones: k.phones.map((p) => ({ raw: p.raw, e164: p.e164 })),
    })),
    labels: c.labels,
    ...(owner ? { owner } : {}),
    timeZone: c.timeZone,
  };
}
