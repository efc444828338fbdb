// What an agent learned on a collections call: a promise to pay, "I have paid", a dispute, a wrong number.
import { Types } from 'mongoose';
import type { DunningOutcome } from '@ringside/shared';
import { dunningOutcomeSchema } from '@ringside/shared';
import type { Customer } from '../db/schemas/customer.model';
import type { Viewer } from '../auth/viewer';
import { toObjectId } from '../db/ids';
import { badRequest, conflict, notFound, parseOrThrow } from '../errors';
import { authorize, subjects } from '../auth/policy';
import { auditMany, type DunningContext } from './context';
import { formatDay, formatMoney } from './documents';
import { DAY_MS } from './ladder';
import { caseRef, LIVE } from './case-keys';
import { closeMany } from './close-cases';
import { viewCase } from './case-view';
import { owed as owedOn } from './steps/plan';
import type { CaseDoc, HistoryEntry } from './types';

type OutcomeOf<K extends DunningOutcome['outcome']> = Extract<DunningOutcome, { outcome: K }>;

/** One outcome being recorded: the case, its customer, what is owed now, who records it. */
interface Recording {
  ctx: DunningContext;
  c: CaseDoc;
  customer: Pick<Customer, '_id' | 'phones' | 'timeZone'>;
  owed: number;
  now: Date;
  viewer: Viewer;
  by: { agentId: Types.ObjectId; agentName: string };
  entry: (action: string, outcome: string, details?: unknown) => HistoryEntry;
  audit: (details: unknown) => Promise<void>;
  cancelCalls: () => Promise<unknown>;
}

/** What the agent learned on the call. Checked against the same portfolio rules as the customer. */
export async function recordOutcome(ctx: DunningContext, id: string, input: unknown, viewer: Viewer) {
  const body: DunningOutcome = parseOrThrow(dunningOutcomeSchema, input, 'outcome');
  const { models } = ctx;
  const now = ctx.clock.now();
  const c = await models.DunningCase.findById(toObjectId(id, 'dunning case id')).lean();
  if (!c) throw notFound('dunning case');
  const customer = await models.Customer.findById(c.customerId, { ownerId: 1, name: 1, phones: 1, timeZone: 1 }).lean();
  if (!customer) throw notFound('customer');
  authorize(await ctx.customers.abilityFor(viewer), 'record', subjects.dunningCase(customer));
  if (c.status === 'closed') throw conflict(`the dunning case is closed (${c.closedReason ?? 'closed'})`);
  const invoices = await models.Invoice.find(
    { customerId: c.customerId, status: 'open', currency: c.currency, dueAt: { $lt: now } },
    { amount: 1, paid: 1, dueAt: 1 },
  ).lean();
  const by = { agentId: new Types.ObjectId(viewer.userId), agentName: viewer.name };
  const r: Recording = {
    ctx,
    c,
    customer,
    owed: owedOn(invoices),
    now,
    viewer,
    by,
    entry: (action, outcome, details) => ({ at: now, action, outcome, details: { ...by, ...(details as object) } }),
    audit: (details) =>
      auditMany(ctx, [
        {
          userId: viewer.userId,
          userName: viewer.name,
          action: `dunning.outcome.${body.outcome}`,
          entity: 'dunning_case',
          entityId: id,
          details,
        },
      ]),
    cancelCalls: () =>
      models.Callback.updateMany(
        { dunningCaseId: c._id, status: { $in: ['scheduled', 'offered'] } },
        {
          $set: { status: 'cancelled' },
          $push: {
            attempts: { at: now, outcome: `cancelled: ${body.outcome.replace(/_/g, ' ')} recorded by ${viewer.name}` },
          },
        },
      ),
  };
  switch (body.outcome) {
    case 'promise_to_pay':
      await promised(r, body);
      break;
    case 'paid':
      await saysPaid(r, body);
      break;
    case 'dispute':
      await disputed(r, body);
      break;
    case 'wrong_number':
      await wrongNumber(r, body);
      break;
  }
  return { case: await viewCase(ctx, c._id, true) };
}

/** Pauses the ladder until a promised date (and the grace after it); the case's calls are cancelled. */
async function pausePromise(
  r: Recording,
  date: Date,
  amount: number,
  outcome: string,
  details: unknown,
): Promise<void> {
  const { ctx, c, now, by } = r;
  const res = await ctx.models.DunningCase.updateOne(
    { _id: c._id, status: { $in: [...LIVE] } },
    {
      $set: {
        status: 'paused',
        pausedReason: 'promise',
        promiseToPay: { date, amount, recordedAt: now, agentId: by.agentId },
        balanceAtPromise: r.owed,
        nextActionAt: new Date(date.getTime() + ctx.options.promiseGraceMs),
      },
      $push: { history: r.entry('promise_to_pay', outcome, details) },
    },
  );
  if (res.modifiedCount === 0) throw conflict('the dunning case changed meanwhile; reload it');
  await r.cancelCalls();
}

async function promised(r: Recording, body: OutcomeOf<'promise_to_pay'>): Promise<void> {
  const { c, now } = r;
  const date = new Date(body.date);
  if (date.getTime() < now.getTime() - DAY_MS) throw badRequest('the promised date is in the past');
  if (date.getTime() > now.getTime() + 90 * DAY_MS) throw badRequest('a promise to pay may be at most 90 days ahead');
  await pausePromise(
    r,
    date,
    body.amount,
    `${formatMoney(body.amount, c.currency)} by ${formatDay(date, r.customer.timeZone)}`,
    { amount: body.amount, date, note: body.note },
  );
  await r.audit({ amount: body.amount, date: body.date });
}

async function saysPaid(r: Recording, body: OutcomeOf<'paid'>): Promise<void> {
  const { ctx, c, now, owed } = r;
  if (owed <= 0) {
    await closeMany(
      ctx,
      [{ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId }],
      now,
      'paid',
    );
    await r.audit({ owed });
    return;
  }
  // "I have paid": the payment gets a few days to arrive, as a promise of the whole amount.
  const date = new Date(now.getTime() + ctx.options.paidClaimGraceMs);
  await pausePromise(r, date, owed, 'customer says it is paid', { note: body.note, owed });
  await r.audit({ owed, waitUntil: date });
}

async function disputed(r: Recording, body: OutcomeOf<'dispute'>): Promise<void> {
  const { ctx, c, now, by } = r;
  const number = `DSP-${caseRef(c._id)}-${(c.history.filter((h) => h.action === 'dispute').length + 1).toString()}`;
  const dispute = await ctx.models.Case.create({
    customerId: c.customerId,
    number,
    kind: 'dispute',
    subject: `Disputed debt ${formatMoney(r.owed, c.currency)}: ${body.reason}`.slice(0, 300),
    status: 'open',
    priority: 'high',
    ownerId: by.agentId,
    openedAt: now,
    callIds: [],
    notes: [{ at: now, authorId: by.agentId, authorName: r.viewer.name, text: body.reason }],
  });
  const res = await ctx.models.DunningCase.updateOne(
    { _id: c._id, status: { $in: [...LIVE] } },
    {
      $set: {
        status: 'paused',
        pausedReason: 'dispute',
        disputeCaseId: dispute._id,
        nextActionAt: new Date(now.getTime() + DAY_MS),
      },
      $push: { history: r.entry('dispute', body.reason, { caseId: dispute._id.toHexString() }) },
    },
  );
  if (res.modifiedCount === 0) throw conflict('the dunning case changed meanwhile; reload it');
  await r.cancelCalls();
  await r.audit({ reason: body.reason, caseId: dispute._id.toHexString() });
}

async function wrongNumber(r: Recording, body: OutcomeOf<'wrong_number'>): Promise<void> {
  const { ctx, c, now } = r;
  const { models } = ctx;
  const last = await models.Callback.findOne({ dunningCaseId: c._id }, { phone: 1 }).sort({ createdAt: -1 }).lean();
  const phone = body.phone ?? last?.phone;
  if (!phone) throw badRequest('give phone: no call of this case to take the number from');
  if (!r.customer.phones.some((p) => p.e164 === phone))
    throw badRequest(`${phone} is not one of the customer's numbers`);
  await models.Customer.updateOne(
    { _id: c.customerId },
    { $set: { 'phones.$[p].wrongNumber': true } },
    { arrayFilters: [{ 'p.e164': phone }] },
  );
  await models.DunningCase.updateOne(
    { _id: c._id },
    { $set: { nextActionAt: now }, $push: { history: r.entry('wrong_number', phone, { note: body.note }) } },
  );
  await models.Callback.updateMany(
    { dunningCaseId: c._id, phone, status: { $in: ['scheduled', 'offered'] } },
    {
      $set: { status: 'cancelled' },
      $push: { attempts: { at: now, outcome: `cancelled: wrong number (${r.viewer.name})` } },
    },
  );
  await r.audit({ phone });
}
