import type { Types } from 'mongoose';
import type { PopCustomer, ScreenPop } from '@ringside/shared';
import type { Models } from '../db/models';
import type { CallerResolution, CustomerDoc } from '../calls/caller-resolution';
import { interactionView } from '../interactions/interaction.view';

const DAY = 86_400_000;
const RECENT_LINES = 10;
const LAST_INTERACTIONS = 5;
const OPEN_CASES = 5;

export interface PopInput {
  callId: string;
  receivedAt: Date;
  caller: { raw: string; e164: string | null };
  resolution: Pick<CallerResolution, 'match' | 'customers' | 'customer'>;
  now: Date;
}

type Detail = Pick<
  ScreenPop,
  'balance' | 'creditTerms' | 'recentPurchases' | 'suggestions' | 'openCases' | 'lastInteractions' | 'dunning'
> & {
  owner?: { id: string; name: string };
};

/** Builds the whole pop with parallel indexed reads (one round of queries, no joins). */
export async function buildScreenPop(models: Models, input: PopInput): Promise<ScreenPop> {
  const { resolution } = input;
  const customer = resolution.customer;
  const detail = customer ? await customerDetail(models, customer, input.now) : emptyDetail();
  return {
    callId: input.callId,
    receivedAt: input.receivedAt.toISOString(),
    caller: input.caller,
    match: resolution.match,
    ...(customer ? { customer: toPopCustomer(customer, detail.owner) } : {}),
    ...(resolution.match === 'multiple'
      ? { candidates: resolution.customers.map((c) => ({ id: c._id.toString(), name: c.name, labels: c.labels })) }
      : {}),
    balance: detail.balance,
    creditTerms: detail.creditTerms,
    recentPurchases: detail.recentPurchases,
    suggestions: detail.suggestions,
    openCases: detail.openCases,
    lastInteractions: detail.lastInteractions,
    ...(detail.dunning ? { dunning: detail.dunning } : {}),
  };
}

function emptyDetail(): Detail {
  return {
    balance: { currency: 'EUR', outstanding: 0, overdue: 0, oldestOverdueDays: 0 },
    creditTerms: { limit: 0, paymentTermsDays: 0, available: 0 },
    recentPurchases: [],
    suggestions: [],
    openCases: [],
    lastInteractions: [],
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

async function customerDetail(models: Models, customer: CustomerDoc, now: Date): Promise<Detail> {
  const customerId: Types.ObjectId = customer._id;
  const [owner, invoices, orders, suggestions, cases, interactions, dunning] = await Promise.all([
    customer.ownerId ? models.User.findById(customer.ownerId, { name: 1 }).lean() : null,
    models.Invoice.find({ customerId, status: 'open' }, { amount: 1, paid: 1, dueAt: 1, currency: 1, number: 1 })
      .limit(1000)
      .lean(),
    models.Order.find({ customerId }, { lines: 1, placedAt: 1 }).sort({ placedAt: -1 }).limit(RECENT_LINES).lean(),
    models.CustomerSuggestions.findById(customerId).lean(),
    models.Case.find({ customerId, status: { $in: ['open', 'pending'] } })
      .sort({ openedAt: -1 })
      .limit(OPEN_CASES)
      .lean(),
    models.Interaction.find({ customerId }).sort({ at: -1 }).limit(LAST_INTERACTIONS).lean(),
    models.DunningCase.findOne({ customerId, status: { $in: ['open', 'paused'] } }).lean(),
  ]);

  const currency = customer.creditTerms?.currency ?? 'EUR';
  let outstanding = 0;
  let overdue = 0;
  let oldestDue: Date | undefined;
  for (const inv of invoices) {
    if (inv.currency !== currency) continue;
    const open = inv.amount - (inv.paid ?? 0);
    if (open <= 0) continue;
    outstanding += open;
    if (inv.dueAt < now) {
      overdue += open;
      if (!oldestDue || inv.dueAt < oldestDue) oldestDue = inv.dueAt;
    }
  }
  const limit = customer.creditTerms?.limit ?? 0;
  const lastAction = dunning?.history.at(-1);
  // Why we are calling: the case's invoices (from the open ones read above) and its last reminder.
  const caseInvoices = dunning
    ? invoices
        .filter((i) => dunning.invoiceIds.some((id) => id.equals(i._id)))
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
    : [];
  const lastReminder = dunning?.history.findLast((h) => h.action === 'sms' || h.action === 'letter');
  const lastMessage = lastReminder?.action === 'sms' ? dunning?.messages?.at(-1) : undefined;

  return {
    ...(owner ? { owner: { id: owner._id.toString(), name: owner.name } } : {}),
    balance: {
      currency,
      outstanding: round2(outstanding),
      overdue: round2(overdue),
      oldestOverdueDays: oldestDue ? Math.floor((now.getTime() - oldestDue.getTime()) / DAY) : 0,
    },
    creditTerms: {
      limit,
      paymentTermsDays: customer.creditTerms?.paymentTermsDays ?? 0,
      available: round2(Math.max(0, limit - outstanding)),
    },
    recentPurchases: orders
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
      .slice(0, RECENT_LINES),
    suggestions: (suggestions?.items ?? []).map((s) => ({
      sku: s.sku,
      name: s.name,
      reason: s.reason,
      score: s.score,
    })),
    openCases: cases.map((c) => ({
      id: c._id.toString(),
      number: c.number,
      subject: c.subject,
      status: c.status,
      priority: c.priority,
      openedAt: c.openedAt.toISOString(),
    })),
    lastInteractions: interactions.map(interactionView),
    ...(dunning
      ? {
          dunning: {
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
          },
        }
      : {}),
  };
}

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

/**
 * The pop an agent may see of a customer outside its portfolio: who is calling, nothing more
 * (no balance, purchases, cases, history or dunning).
 */
export function identityOnly(pop: ScreenPop): ScreenPop {
  const c = pop.customer;
  return {
    callId: pop.callId,
    receivedAt: pop.receivedAt,
    caller: pop.caller,
    match: pop.match,
    ...(c
      ? {
          customer: {
            id: c.id,
            kind: c.kind,
            name: c.name,
            phones: c.phones,
            contacts: [],
            labels: [],
            timeZone: c.timeZone,
            ...(c.owner ? { owner: c.owner } : {}),
            restricted: true,
          },
        }
      : {}),
    ...(pop.candidates ? { candidates: pop.candidates } : {}),
    balance: { currency: pop.balance.currency, outstanding: 0, overdue: 0, oldestOverdueDays: 0 },
    creditTerms: { limit: 0, paymentTermsDays: 0, available: 0 },
    recentPurchases: [],
    suggestions: [],
    openCases: [],
    lastInteractions: [],
  };
}
