// The plans of a batch turned into writes: those without a side effect (waits, resumes, skips, closes) and the steps to claim.
import type { Types, AnyBulkWriteOperation } from 'mongoose';
import type { AuditInput } from '../../audit/audit.service';
import type { DunningContext } from '../context';
import { noLiveClaim } from '../case-keys';
import { closeMany } from '../close-cases';
import type { Balance, CaseDoc, CaseState, CaseToClose, CustomerDoc } from '../types';
import { balance as balanceOf, plan as planOf, type Plan, type PlanRules, type StepPlan } from './plan';
import type { Batch } from './load';

/** A step with a side effect, to be claimed before it is performed. */
export interface Claim {
  c: CaseDoc;
  customer: CustomerDoc;
  balance: Balance;
  plan: StepPlan;
}

/** What a batch's plans come to. */
export interface Decisions {
  direct: AnyBulkWriteOperation<CaseDoc>[];
  toClose: Array<CaseToClose & { reason: string }>;
  claims: Claim[];
  audits: AuditInput[];
  /** Cases that take their next step in this same scan (resumed, or a rung skipped). */
  again: Types.ObjectId[];
  states: Map<string, CaseState>;
  promises: Partial<Record<'promisesKept' | 'promisesBroken', number>>;
  /** Waits alike (same status, same next look), written with one update each. */
  waits: Map<string, { status: CaseDoc['status']; until: Date; ids: Types.ObjectId[] }>;
}

/** Plans every case of the batch from fresh reads. */
export function decide(
  rules: PlanRules,
  batch: Batch,
  now: Date,
  count: (action: string, n?: number) => void,
): Decisions {
  const d: Decisions = {
    direct: [],
    toClose: [],
    claims: [],
    audits: [],
    again: [],
    states: new Map(),
    promises: {},
    waits: new Map(),
  };
  for (const c of batch.cases) {
    const customer = batch.customers.get(c.customerId.toHexString());
    const balance = balanceOf(batch.invoicesOf(c));
    const plan = planOf(rules, c, customer, balance, batch, now);
    const id = c._id.toHexString();
    switch (plan.kind) {
      case 'busy':
        count('in_progress_elsewhere');
        break;
      case 'close':
        d.toClose.push({
          _id: c._id,
          amount: c.amount,
          currency: c.currency,
          customerId: c.customerId,
          reason: plan.reason,
        });
        d.states.set(id, { status: 'closed', stage: c.stage });
        break;
      case 'wait':
        if (c.status === 'closed') break;
        count(c.status === 'paused' ? 'still_paused' : 'waiting');
        wait(d, c, plan);
        break;
      case 'resume':
        count(plan.action);
        resume(d, c, plan, balance, now);
        break;
      case 'skip':
        count(`${plan.action}_skipped`);
        skip(d, c, plan, now);
        break;
      case 'step':
        if (customer) d.claims.push({ c, customer, balance, plan });
        break;
    }
  }
  return d;
}

function wait(d: Decisions, c: CaseDoc, plan: Extract<Plan, { kind: 'wait' }>): void {
  const id = c._id.toHexString();
  if (plan.until) {
    // Most looks only move the next one (calls under way, every day): one update for all alike.
    const group = `${c.status}|${plan.until.getTime()}`;
    const alike = d.waits.get(group) ?? { status: c.status, until: plan.until, ids: [] };
    alike.ids.push(c._id);
    d.waits.set(group, alike);
    d.states.set(id, { status: c.status, stage: c.stage });
    return;
  }
  d.direct.push({
    updateOne: {
      filter: { _id: c._id, status: c.status },
      update: { $unset: { nextActionAt: 1 } },
    },
  });
  d.states.set(id, { status: c.status, stage: c.stage });
}

function resume(d: Decisions, c: CaseDoc, plan: Extract<Plan, { kind: 'resume' }>, balance: Balance, now: Date): void {
  const id = c._id.toHexString();
  if (plan.action === 'promise_kept') d.promises.promisesKept = (d.promises.promisesKept ?? 0) + 1;
  if (plan.action === 'promise_broken') d.promises.promisesBroken = (d.promises.promisesBroken ?? 0) + 1;
  d.direct.push({
    updateOne: {
      filter: { _id: c._id, status: 'paused' },
      update: {
        $set: { status: 'open', nextActionAt: now },
        $unset: {
          pausedReason: 1,
          ...(plan.action === 'dispute_resolved' ? {} : { promiseToPay: 1, balanceAtPromise: 1 }),
        },
        $push: {
          history: {
            at: now,
            action: plan.action,
            details: c.promiseToPay ? { promised: c.promiseToPay.amount, by: c.promiseToPay.date } : undefined,
          },
        },
      },
    },
  });
  d.audits.push({
    action: `dunning.${plan.action}`,
    entity: 'dunning_case',
    entityId: id,
    details: { balance: balance.amount },
  });
  d.states.set(id, { status: 'open', stage: c.stage });
  d.again.push(c._id);
}

function skip(d: Decisions, c: CaseDoc, plan: Extract<Plan, { kind: 'skip' }>, now: Date): void {
  const id = c._id.toHexString();
  d.direct.push({
    updateOne: {
      filter: { _id: c._id, status: 'open', stepsDone: { $ne: plan.key }, ...noLiveClaim(now) },
      update: {
        $addToSet: { stepsDone: plan.key },
        $set: { lastStepAt: now, nextActionAt: now },
        $push: { history: { at: now, action: `${plan.action}_skipped`, outcome: plan.reason } },
      },
    },
  });
  d.audits.push({
    action: `dunning.${plan.action}_skipped`,
    entity: 'dunning_case',
    entityId: id,
    details: { reason: plan.reason },
  });
  d.states.set(id, { status: c.status, stage: c.stage });
  d.again.push(c._id);
}

/** Writes the decisions that need no side effect: one bulk write, one update per group of waits, the closes. */
export async function writeDecisions(
  ctx: DunningContext,
  d: Decisions,
  now: Date,
  count: (action: string, n?: number) => void,
): Promise<void> {
  const { models } = ctx;
  if (d.direct.length) await models.DunningCase.bulkWrite(d.direct, { ordered: false });
  for (const { status, until, ids: alike } of d.waits.values()) {
    await models.DunningCase.updateMany({ _id: { $in: alike }, status }, { $set: { nextActionAt: until } });
  }
  await ctx.figures.bump(d.promises);
  for (const reason of new Set(d.toClose.map((x) => x.reason))) {
    const closed = await closeMany(
      ctx,
      d.toClose.filter((x) => x.reason === reason),
      now,
      reason,
    );
    count(reason === 'paid' ? 'closed_paid' : 'closed', closed);
  }
}
