// The side effect of a claimed step: the reminder (SMS), the letter (PDF), the collections callback, the legal referral.
import type { Types } from 'mongoose';
import type { DunningContext } from '../context';
import { upsertOne } from '../../db/upsert';
import { formatDay, formatMoney, type LetterInvoice } from '../documents';
import { DAY_MS, round2 } from '../ladder';
import { callKey, caseRef } from '../case-keys';
import type { Balance, CaseDoc, CustomerDoc, InvoiceDoc } from '../types';
import type { StepPlan } from './plan';

/** What a side effect left to record on the case. */
export interface Effect {
  messageSid?: string;
  messageStatus?: string;
  reconciled?: boolean;
  callbackId?: Types.ObjectId;
  callbackDueAt?: Date;
  letterPath?: string;
  legalCaseId?: Types.ObjectId;
  legalSummaryPath?: string;
}

/** The side effect of a claimed step. Safe to run again for the same claim (see `DunningService`). */
export async function perform(
  ctx: DunningContext,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  plan: StepPlan,
  now: Date,
): Promise<Effect> {
  switch (plan.action) {
    case 'sms':
      return sendReminder(ctx, c, plan);
    case 'letter':
      return writeLetter(ctx, c, customer, balance, now);
    case 'call':
      return askForCall(ctx, c, customer, balance, plan, now);
    case 'legal':
      return referToLegal(ctx, c, customer, balance, now);
  }
}

/** What a step's history entry and audit say about it. */
export function effectDetails(plan: StepPlan, effect: Effect, balance: Balance): Record<string, unknown> {
  return {
    amount: balance.amount,
    ...(plan.phone ? { to: plan.phone } : {}),
    ...(effect.messageSid ? { messageSid: effect.messageSid } : {}),
    ...(effect.callbackId
      ? { callbackId: effect.callbackId.toHexString(), dueAt: effect.callbackDueAt, round: plan.round }
      : {}),
    ...(effect.letterPath ? { letter: effect.letterPath } : {}),
    ...(effect.legalCaseId ? { legalCaseId: effect.legalCaseId.toHexString() } : {}),
  };
}

async function sendReminder(ctx: DunningContext, c: CaseDoc, plan: StepPlan): Promise<Effect> {
  const to = plan.phone ?? '';
  const body = plan.body ?? '';
  if (c.pending?.key === plan.key) {
    // Claimed before by a process that stopped: was it sent?
    const sent = (await ctx.sms.listSms({ to, sentAfter: new Date(c.pending.startedAt.getTime() - 60_000) })).find(
      (m) => m.body === body,
    );
    if (sent) return { messageSid: sent.messageSid, messageStatus: sent.status, reconciled: true };
  }
  const { sms } = ctx.options;
  const res = await ctx.sms.sendSms({
    to,
    body,
    ...(sms.messagingServiceSid ? { messagingServiceSid: sms.messagingServiceSid } : { from: sms.from ?? '' }),
  });
  return { messageSid: res.messageSid, messageStatus: res.status };
}

async function writeLetter(
  ctx: DunningContext,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  now: Date,
): Promise<Effect> {
  const invoices = balance.invoices.map(toLetterInvoice);
  const pdf = await ctx.renderer.render({
    kind: 'letter',
    input: {
      customer: {
        name: customer.name,
        address: customer.address,
        timeZone: customer.timeZone,
        language: customer.language,
      },
      currency: c.currency,
      invoices,
      total: balance.amount,
      at: now,
      caseRef: caseRef(c._id),
      payBy: new Date(now.getTime() + ctx.options.letterPayDays * DAY_MS),
    },
  });
  await ctx.documents.putOnce({
    caseId: c._id,
    kind: 'letter',
    filename: `reminder-${caseRef(c._id)}.pdf`,
    contentType: 'application/pdf',
    createdAt: now,
    data: pdf,
  });
  return { letterPath: `/api/dunning/cases/${c._id.toHexString()}/letter` };
}

async function askForCall(
  ctx: DunningContext,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  plan: StepPlan,
  now: Date,
): Promise<Effect> {
  const { callback } = await ctx.callbacks.scheduleFor({
    customer: { _id: c.customerId, timeZone: customer.timeZone },
    phone: plan.phone ?? '',
    queue: ctx.options.queue,
    reason:
      `Overdue ${formatMoney(balance.amount, c.currency)} since ${formatDay(balance.oldestDueAt ?? c.oldestDueAt, customer.timeZone)} (dunning)`.slice(
        0,
        200,
      ),
    source: 'dunning',
    dueAt: now,
    naturalKey: callKey(c._id, plan.round),
    dunningCaseId: c._id,
  });
  return { callbackId: callback._id, callbackDueAt: callback.dueAt };
}

async function referToLegal(
  ctx: DunningContext,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  now: Date,
): Promise<Effect> {
  const legalCaseId = await openLegalCase(ctx, c, customer, balance, now);
  const full = await ctx.models.DunningCase.findById(c._id, { history: 1, promiseToPay: 1, openedAt: 1 }).lean();
  const pdf = await ctx.renderer.render({
    kind: 'legal-summary',
    input: {
      customer: {
        name: customer.name,
        id: customer._id.toHexString(),
        address: customer.address,
        timeZone: customer.timeZone,
        phones: customer.phones.map((p) => `${p.e164}${p.wrongNumber ? ' (wrong number)' : ''}`),
      },
      currency: c.currency,
      invoices: balance.invoices.map(toLetterInvoice),
      total: balance.amount,
      openedAt: c.openedAt,
      at: now,
      caseRef: caseRef(c._id),
      history: (full?.history ?? c.history).map((h) => ({
        at: h.at,
        action: h.action,
        outcome: h.outcome,
        details: describe(h.details),
      })),
      promiseToPay: full?.promiseToPay ? { date: full.promiseToPay.date, amount: full.promiseToPay.amount } : undefined,
    },
  });
  await ctx.documents.putOnce({
    caseId: c._id,
    kind: 'legal-summary',
    filename: `legal-${caseRef(c._id)}.pdf`,
    contentType: 'application/pdf',
    createdAt: now,
    data: pdf,
  });
  return { legalCaseId, legalSummaryPath: `/api/dunning/cases/${c._id.toHexString()}/legal-summary` };
}

/** The legal desk's case: numbered after the dunning case, so a repeated step finds it. */
async function openLegalCase(
  ctx: DunningContext,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  now: Date,
): Promise<Types.ObjectId> {
  const number = `LEGAL-${caseRef(c._id)}`;
  const { doc } = await upsertOne(
    ctx.models.Case,
    { number },
    {
      $setOnInsert: {
        customerId: c.customerId,
        number,
        kind: 'legal',
        subject:
          `Legal referral: ${customer.name}, ${formatMoney(balance.amount, c.currency)} overdue since ${formatDay(balance.oldestDueAt ?? c.oldestDueAt, customer.timeZone)}`.slice(
            0,
            300,
          ),
        status: 'open',
        priority: 'high',
        openedAt: now,
        callIds: [],
        notes: [
          { at: now, authorName: 'Dunning', text: `Summary: /api/dunning/cases/${c._id.toHexString()}/legal-summary` },
        ],
      },
    },
    { projection: { _id: 1 } },
  );
  return doc._id;
}

function toLetterInvoice(i: InvoiceDoc): LetterInvoice {
  return {
    number: i.number,
    amount: i.amount,
    open: round2(i.amount - (i.paid ?? 0)),
    dueAt: i.dueAt,
    paymentReference: i.paymentReference,
  };
}

/** A history entry's details in a few words, for the legal summary. */
function describe(details: unknown): string | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.to === 'string') parts.push(`to ${d.to}`);
  if (typeof d.amount === 'number') parts.push(`amount ${d.amount.toFixed(2)}`);
  if (typeof d.agentName === 'string') parts.push(`by ${d.agentName}`);
  if (typeof d.round === 'number') parts.push(`call ${d.round}`);
  return parts.length ? parts.join(', ') : undefined;
}
