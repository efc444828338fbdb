// The ladder's rules as pure functions: what a case owes, whom we may text or call, and what its next step is.
import type { DunningAction } from '@ringside/shared';
import type { Callback } from '../../db/schemas/callback.model';
import { isCallable, nextCallable } from '../../callbacks/calling-hours';
import { formatDay, formatMoney } from '../documents';
import { DAY_MS, nextStep, round2 } from '../ladder';
import type { DunningOptions } from '../options';
import { callKey, OPEN_INVOICE } from '../case-keys';
import type { Balance, CaseDoc, CustomerDoc, InvoiceDoc } from '../types';

/** What one step does, decided from the case, the customer and the live balance. */
export type Plan =
  | { kind: 'close'; reason: string }
  | { kind: 'wait'; until: Date | undefined; note?: string }
  | { kind: 'resume'; action: 'promise_kept' | 'promise_broken' | 'dispute_resolved' }
  | { kind: 'skip'; key: string; action: DunningAction; reason: string }
  | { kind: 'step'; key: string; action: DunningAction; round: number; phone?: string; body?: string }
  | { kind: 'busy' };

export type StepPlan = Extract<Plan, { kind: 'step' }>;

/** The settings the rules read. */
export type PlanRules = Pick<
  DunningOptions,
  'ladder' | 'smsTemplate' | 'promiseGraceMs' | 'callRetryMs' | 'callWindowMs' | 'maxCallAttempts'
>;

/** What else a plan looks at, read with the batch: the case's last collections call, its dispute. */
export interface PlanFacts {
  /** Callbacks by natural key (`callKey`). */
  callbacks: ReadonlyMap<string, Pick<Callback, 'status' | 'dueAt' | 'attempts'>>;
  /** Dispute case status by id. */
  disputes: ReadonlyMap<string, string>;
}

type NextRung = ReturnType<typeof nextStep>;
type CallGate = { kind: 'ok'; phone: string } | { kind: 'skip'; reason: string } | { kind: 'wait'; until: Date };

/** What the case owes now: open overdue invoices in its currency, read when the step runs. */
export function balance(invoices: readonly InvoiceDoc[]): Balance {
  let amount = 0;
  let oldest: Date | undefined;
  const open: InvoiceDoc[] = [];
  for (const inv of invoices) {
    const left = inv.amount - (inv.paid ?? 0);
    if (left <= OPEN_INVOICE) continue;
    amount += left;
    open.push(inv);
    if (!oldest || inv.dueAt < oldest) oldest = inv.dueAt;
  }
  open.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  return { amount: round2(amount), oldestDueAt: oldest, invoices: open };
}

/** What is left to pay on invoices, each counted from zero up (as the call guard and an agent's outcome see it). */
export function owed(invoices: ReadonlyArray<{ amount: number; paid?: number }>): number {
  return round2(invoices.reduce((sum, i) => sum + Math.max(0, i.amount - (i.paid ?? 0)), 0));
}

/** The numbers we may text (mobile) or call, without those found to be wrong. */
export function phonesOf(customer: Pick<CustomerDoc, 'phones'>, kind: 'sms' | 'call'): string[] {
  const usable = customer.phones.filter((p) => !p.wrongNumber && (kind === 'call' || p.type === 'mobile'));
  return usable.map((p) => p.e164);
}

/** The reminder's text: the template with the customer's name, the amount, the oldest due date and its payment reference. */
export function smsBody(
  template: string,
  customer: Pick<CustomerDoc, 'name' | 'timeZone'>,
  currency: string,
  balance: Balance,
): string {
  const oldest = balance.invoices[0];
  const fill: Record<string, string> = {
    name: customer.name,
    amount: formatMoney(balance.amount, currency),
    dueDate: balance.oldestDueAt ? formatDay(balance.oldestDueAt, customer.timeZone) : '',
    reference: oldest?.paymentReference ?? '',
  };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => fill[k] ?? m);
}

/** Decides the next thing to do for one case, from what is true now. */
export function plan(
  rules: PlanRules,
  c: CaseDoc,
  customer: CustomerDoc | undefined,
  balance: Balance,
  facts: PlanFacts,
  now: Date,
): Plan {
  if (c.status === 'closed') return { kind: 'wait', until: undefined };
  if (!customer) return { kind: 'close', reason: 'customer removed' };
  if (balance.amount <= 0) return { kind: 'close', reason: 'paid' };
  const lease = c.pending && c.pending.leaseUntil > now ? c.pending : undefined;
  if (lease) return { kind: 'busy' };
  if (c.status === 'paused') return planPaused(rules, c, balance, facts, now);
  // A claim left by a stopped process: finish that step (reconciling) before anything else.
  if (c.pending) return claimedStep(c.pending);
  const next = nextStep(rules.ladder, {
    oldestDueAt: balance.oldestDueAt ?? c.oldestDueAt,
    stepsDone: c.stepsDone,
    lastStepAt: c.lastStepAt,
  });
  // In the call stage, until the next rung: another call when the last one found nobody.
  if (c.stage === 'call' && c.callRounds > 0 && (!next || next.dueAt > now))
    return planCallRound(rules, c, customer, next, facts, now);
  if (!next) return { kind: 'wait', until: undefined };
  if (next.dueAt > now) return { kind: 'wait', until: next.dueAt };
  return planRung(rules, c, customer, balance, next.step.action, now);
}

/** A paused case: a promise judged after its date (and a grace), a dispute until its case is closed. */
function planPaused(rules: PlanRules, c: CaseDoc, balance: Balance, facts: PlanFacts, now: Date): Plan {
  if (c.pausedReason === 'promise' && c.promiseToPay) {
    const judgeAt = new Date(c.promiseToPay.date.getTime() + rules.promiseGraceMs);
    if (now < judgeAt) return { kind: 'wait', until: judgeAt };
    const paidSince = round2((c.balanceAtPromise ?? c.amount) - balance.amount);
    return {
      kind: 'resume',
      action: paidSince + OPEN_INVOICE >= c.promiseToPay.amount ? 'promise_kept' : 'promise_broken',
    };
  }
  if (c.pausedReason === 'dispute') {
    const state = c.disputeCaseId ? facts.disputes.get(c.disputeCaseId.toHexString()) : 'closed';
    if (state === 'closed') return { kind: 'resume', action: 'dispute_resolved' };
    return { kind: 'wait', until: new Date(now.getTime() + DAY_MS) };
  }
  return { kind: 'resume', action: 'dispute_resolved' };
}

/** The step a claim stands for, with the recipient and text it was claimed with. */
function claimedStep(pending: NonNullable<CaseDoc['pending']>): StepPlan {
  const action = pending.key.split(':')[0] as DunningAction;
  const round = action === 'call' ? Number(pending.key.split(':')[1] ?? 1) : 0;
  return {
    kind: 'step',
    key: pending.key,
    action,
    round,
    ...(pending.to ? { phone: pending.to } : {}),
    ...(pending.body ? { body: pending.body } : {}),
  };
}

/** Between the call rung and the next one: wait for the last call, or ask for another when it found nobody. */
function planCallRound(
  rules: PlanRules,
  c: CaseDoc,
  customer: CustomerDoc,
  next: NextRung,
  facts: PlanFacts,
  now: Date,
): Plan {
  const last = facts.callbacks.get(callKey(c._id, c.callRounds));
  const lastEnded = last && (last.status === 'failed' || last.status === 'cancelled');
  // When the last call's latest attempt happened (the case's clock, like every time here).
  const lastAt = last ? (last.attempts.at(-1)?.at ?? last.dueAt) : now;
  const wrongNumberSince = c.history.some((h) => h.action === 'wrong_number' && last && h.at >= last.dueAt);
  const revisit = next
    ? new Date(Math.min(next.dueAt.getTime(), now.getTime() + DAY_MS))
    : new Date(now.getTime() + DAY_MS);
  // A call that reached the customer is done with until the next rung: nothing changes it
  // meanwhile (an outcome the agent records brings the case back by itself). Calls not yet
  // ended are looked at daily, to call again when one ends without reaching anybody.
  if (last?.status === 'completed' && !wrongNumberSince) return { kind: 'wait', until: next?.dueAt };
  if (!last || !(lastEnded || wrongNumberSince)) return { kind: 'wait', until: revisit };
  if (!wrongNumberSince && lastAt.getTime() + rules.callRetryMs > now.getTime()) {
    return { kind: 'wait', until: new Date(lastAt.getTime() + rules.callRetryMs) };
  }
  const round = c.callRounds + 1;
  const gate = callGate(rules, c, customer, now);
  if (gate.kind !== 'ok')
    return gate.kind === 'skip'
      ? { kind: 'wait', until: revisit, note: gate.reason }
      : { kind: 'wait', until: gate.until };
  return { kind: 'step', key: `call:${round}`, action: 'call', round, phone: gate.phone };
}

/** A rung that is due: taken, skipped (consent, do-not-call, no number) or held for calling hours or the call cap. */
function planRung(
  rules: PlanRules,
  c: CaseDoc,
  customer: CustomerDoc,
  balance: Balance,
  action: DunningAction,
  now: Date,
): Plan {
  const zone = customer.timeZone;
  const flags = customer.flags ?? { doNotCall: false, smsConsent: true, doNotSms: false };
  const key = action;
  switch (action) {
    case 'sms': {
      if (flags.doNotCall || flags.doNotSms || !flags.smsConsent)
        return {
          kind: 'skip',
          key,
          action: 'sms',
          reason: flags.doNotCall ? 'do-not-call' : flags.doNotSms ? 'do-not-SMS' : 'no SMS consent',
        };
      const phone = phonesOf(customer, 'sms')[0];
      if (!phone) return { kind: 'skip', key, action: 'sms', reason: 'no mobile number' };
      // Text messages, like calls, only inside the customer's calling hours.
      if (!isCallable(now, zone)) return { kind: 'wait', until: nextCallable(now, zone) };
      return {
        kind: 'step',
        key,
        action: 'sms',
        round: 0,
        phone,
        body: smsBody(rules.smsTemplate, customer, c.currency, balance),
      };
    }
    case 'call': {
      const gate = callGate(rules, c, customer, now);
      if (gate.kind === 'skip') return { kind: 'skip', key, action: 'call', reason: gate.reason };
      if (gate.kind === 'wait') return { kind: 'wait', until: gate.until };
      return { kind: 'step', key: 'call', action: 'call', round: 1, phone: gate.phone };
    }
    default:
      return { kind: 'step', key, action, round: 0 };
  }
}

/** Whether a collections call may be asked for now: do-not-call, a number to call, the cap. */
export function callGate(
  rules: Pick<PlanRules, 'callWindowMs' | 'maxCallAttempts'>,
  c: Pick<CaseDoc, 'callAttempts'>,
  customer: Pick<CustomerDoc, 'flags' | 'phones'>,
  now: Date,
): CallGate {
  if (customer.flags?.doNotCall) return { kind: 'skip', reason: 'do-not-call' };
  const phone = phonesOf(customer, 'call')[0];
  if (!phone) return { kind: 'skip', reason: 'no number to call' };
  const recent = c.callAttempts
    .filter((a) => a.getTime() > now.getTime() - rules.callWindowMs)
    .sort((a, b) => a.getTime() - b.getTime());
  if (recent.length >= rules.maxCallAttempts)
    return { kind: 'wait', until: new Date((recent[0] as Date).getTime() + rules.callWindowMs) };
  return { kind: 'ok', phone };
}

/** A rung of the ladder (`call`), not a later round of its calls (`call:2`). */
export const isRung = (plan: { key: string }) => !plan.key.includes(':');

/** When a step began: now, or when the claim of a stopped process that is finished now was made. */
export function stepStartedAt(c: Pick<CaseDoc, 'pending'>, plan: StepPlan, now: Date): Date {
  return c.pending?.key === plan.key ? c.pending.startedAt : now;
}

/** When to look at a case again after a step: the next rung, and daily while calls are under way. */
export function nextLook(
  rules: Pick<PlanRules, 'ladder'>,
  c: Pick<CaseDoc, 'pending' | 'lastStepAt' | 'oldestDueAt' | 'stepsDone'>,
  plan: StepPlan,
  balance: Balance,
  now: Date,
): Date | undefined {
  const lastStepAt = isRung(plan) ? stepStartedAt(c, plan, now) : c.lastStepAt;
  const after = nextStep(rules.ladder, {
    oldestDueAt: balance.oldestDueAt ?? c.oldestDueAt,
    stepsDone: [...c.stepsDone, plan.key],
    lastStepAt,
  });
  if (plan.action === 'call') return new Date(Math.min(after?.dueAt.getTime() ?? Infinity, now.getTime() + DAY_MS));
  return after?.dueAt;
}
