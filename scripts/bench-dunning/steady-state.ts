// The daily scan's starting point: the cases (and their collections callbacks) as the ladder
// leaves them after running every day, built directly in bulk and the same on every run.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { BenchDatabase } from '../bench-db';
import type { Callback } from '../../server/src/db/schemas/callback.model';
import { addOverdue, type OverdueDebt } from '../../server/src/dunning/dunning.service';
import type { DunningCase } from '../../server/src/db/schemas/dunning-case.model';
import { DAY_MS, DEFAULT_LADDER, nextStep, round2 } from '../../server/src/dunning/ladder';
import { DAY0 } from './setup';

const hashOf = (text: string) => createHash('sha1').update(text).digest();
/** A number in [0, 1) fixed by the text: the built state is the same on every run. */
const fraction = (text: string) => hashOf(text).readUInt32BE(0) / 2 ** 32;

/**
 * The cases as the ladder leaves them after running every day up to DAY0, built directly in bulk
 * (running the ladder day by day over months of history would take hours). For every overdue
 * customer and currency as of DAY0: one case, every rung due by DAY0 taken at its due time (a
 * text message where the customer may get one, otherwise skipped as the ladder does; the letter;
 * a collections call where calling is allowed; the legal referral). Its next look is the next
 * rung, and the next day while a collections call is not made yet or found nobody. Of the calls
 * asked before DAY0, 10% found nobody (another round is due the next day), the others reached the
 * customer (looked at again at the next rung); 5% of the cases past the call rung are paused on
 * a promise to pay, the promised dates spread over the next two weeks. Letters' and legal summaries' PDFs and the legal desk's cases are not made for the built state.
 */
export async function buildSteadyState(
  bench: BenchDatabase,
): Promise<{ cases: number; callbacks: number; byStage: Record<string, number>; paused: number; ms: number }> {
  const started = performance.now();
  const { models } = bench.db;
  const now = DAY0.getTime();
  // Overdue open invoices per customer and currency, as the scan aggregates them.
  const byKey = new Map<string, OverdueDebt>();
  for (let end = now; end > now - 400 * DAY_MS; end -= 20 * DAY_MS) {
    const page = await models.Invoice.find(
      { status: 'open', dueAt: { $gte: new Date(end - 20 * DAY_MS), $lt: new Date(end) } },
      { customerId: 1, currency: 1, amount: 1, paid: 1, dueAt: 1 },
    ).lean();
    for (const inv of page) addOverdue(byKey, inv);
  }
  const entries = [...byKey.entries()];
  const byStage: Record<string, number> = {};
  let callbacks = 0;
  let paused = 0;
  for (let i = 0; i < entries.length; i += 5000) {
    const chunk = entries.slice(i, i + 5000);
    const customerIds = [...new Set(chunk.map(([, agg]) => agg.customerId.toHexString()))].map(
      (id) => new Types.ObjectId(id),
    );
    const customers = new Map(
      (await models.Customer.find({ _id: { $in: customerIds } }, { phones: 1, flags: 1 }).lean()).map((c) => [
        c._id.toHexString(),
        c,
      ]),
    );
    const cases: Array<Partial<DunningCase>> = [];
    const calls: Array<Partial<Callback>> = [];
    for (const [key, agg] of chunk) {
      const customer = customers.get(agg.customerId.toHexString());
      if (!customer) continue;
      const _id = new Types.ObjectId(hashOf(`case:${key}`).subarray(0, 12));
      const flags = customer.flags ?? { doNotCall: false, smsConsent: true, doNotSms: false };
      const mobile = customer.phones.find((p) => !p.wrongNumber && p.type === 'mobile')?.e164;
      const callable = customer.phones.find((p) => !p.wrongNumber)?.e164;
      const amount = round2(agg.amount);
      const c: Partial<DunningCase> & {
        history: DunningCase['history'];
        stepsDone: string[];
        messages: DunningCase['messages'];
        callAttempts: Date[];
      } = {
        _id,
        customerId: agg.customerId,
        currency: agg.currency,
        caseKey: `${key}|1`,
        status: 'open',
        stage: 'none',
        invoiceIds: agg.invoiceIds,
        amount,
        oldestDueAt: new Date(agg.oldest),
        openedAt: new Date(Math.min(now, agg.oldest)),
        history: [
          {
            at: new Date(Math.min(now, agg.oldest)),
            action: 'opened',
            details: { amount, invoices: agg.invoiceIds.length },
          },
        ],
        stepsDone: [],
        callAttempts: [],
        messages: [],
        callRounds: 0,
      };
      // Every rung due by DAY0, taken when it fell due.
      for (;;) {
        const next = nextStep(DEFAULT_LADDER, {
          oldestDueAt: new Date(agg.oldest),
          stepsDone: c.stepsDone,
          lastStepAt: c.lastStepAt,
        });
        if (!next || next.dueAt.getTime() > now) break;
        const at = next.dueAt;
        const action = next.step.action;
        c.stepsDone.push(action);
        c.lastStepAt = at;
        const skipped =
          (action === 'sms' && (flags.doNotCall || flags.doNotSms || !flags.smsConsent || !mobile)) ||
          (action === 'call' && (flags.doNotCall || !callable));
        if (skipped) {
          c.history.push({ at, action: `${action}_skipped`, outcome: 'built state' });
          continue;
        }
        c.stage = action;
        c.history.push({ at, action, stage: action });
        if (action === 'sms' && mobile) {
          c.messages.push({
            sid: `SM${hashOf(`sms:${key}`).toString('hex').slice(0, 32)}`,
            step: 'sms',
            to: mobile,
            body: 'Payment reminder (built state)',
            status: 'delivered',
            sentAt: at,
          });
        }
        if (action === 'letter') c.letterPath = `/api/dunning/cases/${_id.toHexString()}/letter`;
        if (action === 'legal') c.legalSummaryPath = `/api/dunning/cases/${_id.toHexString()}/legal-summary`;
        if (action === 'call' && callable) {
          c.callRounds = 1;
          const askedToday = now - at.getTime() < DAY_MS;
          const noAnswer = !askedToday && fraction(`noanswer:${key}`) < 0.1;
          const lastAttempt = askedToday ? undefined : new Date(Math.max(at.getTime(), now - 3 * 3_600_000));
          if (lastAttempt) c.callAttempts.push(lastAttempt);
          calls.push({
            customerId: agg.customerId,
            phone: callable,
            queue: 'collections',
            reason: `Overdue ${amount.toFixed(2)} ${agg.currency} (dunning)`,
            source: 'dunning',
            naturalKey: `dunning|${_id.toHexString()}|call|1`,
            dueAt: at,
            requestedDueAt: at,
            personal: false,
            status: askedToday ? 'scheduled' : noAnswer ? 'failed' : 'completed',
            attempts: lastAttempt ? [{ at: lastAttempt, outcome: noAnswer ? 'no-answer' : 'answered' }] : [],
            dunningCaseId: _id,
            createdAt: at,
            updatedAt: lastAttempt ?? at,
          });
        }
      }
      const next = nextStep(DEFAULT_LADDER, {
        oldestDueAt: new Date(agg.oldest),
        stepsDone: c.stepsDone,
        lastStepAt: c.lastStepAt,
      });
      const lastCall = calls.at(-1);
      const reached = lastCall?.dunningCaseId?.equals(_id) === true && lastCall.status === 'completed';
      const promise = c.stepsDone.includes('call') && fraction(`promise:${key}`) < 0.05;
      if (promise) {
        const date = new Date(now + Math.floor(fraction(`promise-date:${key}`) * 14) * DAY_MS - DAY_MS);
        Object.assign(c, {
          status: 'paused',
          pausedReason: 'promise',
          promiseToPay: { date, amount, recordedAt: new Date(now - DAY_MS) },
          balanceAtPromise: amount,
          nextActionAt: new Date(date.getTime() + DAY_MS),
        });
        c.history.push({ at: new Date(now - DAY_MS), action: 'promise_to_pay', outcome: 'built state' });
        paused += 1;
      } else if (c.stage === 'call' && (c.callRounds ?? 0) > 0 && !reached) {
        // A call not yet made, or one that found nobody: looked at again the next day (as the ladder does).
        c.nextActionAt = new Date(Math.min(next?.dueAt.getTime() ?? Infinity, now + DAY_MS));
      } else if (next) {
        c.nextActionAt = next.dueAt;
      }
      byStage[c.stage ?? 'none'] = (byStage[c.stage ?? 'none'] ?? 0) + 1;
      cases.push(c);
    }
    await models.DunningCase.insertMany(cases, { ordered: false, lean: true });
    if (calls.length) await models.Callback.insertMany(calls, { ordered: false, lean: true });
    callbacks += calls.length;
  }
  return { cases: entries.length, callbacks, byStage, paused, ms: performance.now() - started };
}
