import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { Callback } from '../../db/schemas/callback.model';
import type { Phone } from '../../db/schemas/customer.model';
import { DAY_MS, DEFAULT_LADDER } from '../ladder';
import { callKey } from '../case-keys';
import type { CaseDoc, CustomerDoc, InvoiceDoc } from '../types';
import {
  balance,
  callGate,
  isRung,
  nextLook,
  owed,
  phonesOf,
  plan,
  smsBody,
  stepStartedAt,
  type PlanFacts,
  type PlanRules,
  type StepPlan,
} from './plan';

// The ladder's rules without a database: fixed dates only, never the real clock. The debt is due
// on Friday 2026-10-02; the default ladder texts on day 3 (Monday 10-05), writes on day 14, calls
// on day 21 (Friday 10-23) and refers to legal on day 45 (Monday 11-16). Warsaw is UTC+2 until
// 2026-10-25 and UTC+1 after; calling hours are 08:00–20:00 local, Monday to Saturday.
const DUE = new Date('2026-10-02T10:00:00Z');
const at = (iso: string) => new Date(iso);
const oid = (n: number) => new Types.ObjectId(n.toString(16).padStart(24, '0'));
const CASE_ID = oid(100);

const rules: PlanRules = {
  ladder: DEFAULT_LADDER,
  smsTemplate: '{name}: {amount} since {dueDate}, ref {reference}. {unknown}',
  promiseGraceMs: DAY_MS,
  callRetryMs: DAY_MS,
  callWindowMs: 7 * DAY_MS,
  maxCallAttempts: 7,
};

const mobile: Phone = { raw: '601 100 001', e164: '+48601100001', type: 'mobile' };
const landline: Phone = { raw: '12 100 00 02', e164: '+48121000002', type: 'landline' };

function customer(over: Partial<CustomerDoc> = {}): CustomerDoc {
  return {
    _id: oid(1),
    name: 'Anna Nowak',
    phones: [mobile],
    flags: { doNotCall: false, smsConsent: true, doNotSms: false },
    timeZone: 'Europe/Warsaw',
    country: 'PL',
    ...over,
  };
}

let invoiceNo = 0;
function invoice(amount: number, dueAt: Date, paid = 0): InvoiceDoc {
  invoiceNo += 1;
  return {
    _id: oid(1000 + invoiceNo),
    customerId: oid(1),
    currency: 'PLN',
    number: `INV-${invoiceNo}`,
    amount,
    paid,
    dueAt,
    paymentReference: `RF-${invoiceNo}`,
  };
}

function dunningCase(over: Partial<CaseDoc> = {}): CaseDoc {
  return {
    _id: CASE_ID,
    customerId: oid(1),
    currency: 'PLN',
    status: 'open',
    stage: 'none',
    invoiceIds: [],
    amount: 1334.5,
    oldestDueAt: DUE,
    history: [],
    stepsDone: [],
    callAttempts: [],
    openedAt: DUE,
    messages: [],
    callRounds: 0,
    caseKey: '000000000000000000000001|PLN|1',
    ...over,
  };
}

const owing = balance([invoice(1234.5, DUE), invoice(100, new Date(DUE.getTime() + DAY_MS))]);
const nothing = balance([]);

function facts(
  over: {
    calls?: Array<[number, Pick<Callback, 'status' | 'dueAt' | 'attempts'>]>;
    disputes?: Array<[string, string]>;
  } = {},
): PlanFacts {
  return {
    callbacks: new Map((over.calls ?? []).map(([round, cb]) => [callKey(CASE_ID, round), cb])),
    disputes: new Map(over.disputes ?? []),
  };
}

describe('balance', () => {
  it('sums what is left on open invoices in cents, oldest first, without invoices paid down to less than half a cent', () => {
    const late = invoice(200, at('2026-10-09T10:00:00Z'), 50.25);
    const old = invoice(100.1, at('2026-10-01T10:00:00Z'));
    const settled = invoice(80, at('2026-09-01T10:00:00Z'), 79.996);
    expect(balance([late, old, settled])).toEqual({ amount: 249.85, oldestDueAt: old.dueAt, invoices: [old, late] });
  });

  it('owes nothing without open invoices', () => {
    expect(balance([])).toEqual({ amount: 0, oldestDueAt: undefined, invoices: [] });
  });
});

describe('owed', () => {
  it('counts each invoice from zero up, so an overpaid one does not lower the others', () => {
    expect(owed([{ amount: 100, paid: 150 }, { amount: 20.01 }, { amount: 10, paid: 2.5 }])).toBe(27.51);
  });
});

describe('phonesOf', () => {
  const phones: Phone[] = [
    { ...mobile, wrongNumber: true },
    landline,
    { raw: '602', e164: '+48602000003', type: 'mobile' },
  ];

  it('texts mobiles only, calls any number, never one found to be wrong', () => {
    expect(phonesOf({ phones }, 'sms')).toEqual(['+48602000003']);
    expect(phonesOf({ phones }, 'call')).toEqual(['+48121000002', '+48602000003']);
  });
});

describe('smsBody', () => {
  it('fills the name, the amount, the oldest due date in the customer’s zone and its payment reference; leaves unknown fields', () => {
    const b = balance([invoice(99.5, at('2026-10-02T22:30:00Z')), invoice(1000, at('2026-10-03T23:30:00Z'))]);
    const body = smsBody(rules.smsTemplate, customer(), 'PLN', b);
    expect(body).toBe(
      `Anna Nowak: 1,099.50 PLN since 2026-10-03, ref ${b.invoices[0]?.paymentReference ?? ''}. {unknown}`,
    );
    expect(smsBody('{dueDate}', customer({ timeZone: 'America/New_York' }), 'PLN', b)).toBe('2026-10-02');
  });
});

describe('plan: what decides before the ladder', () => {
  const now = at('2026-10-05T10:00:00Z');

  it('leaves a closed case alone, closes one whose customer is gone or whose debt is paid', () => {
    expect(plan(rules, dunningCase({ status: 'closed' }), customer(), owing, facts(), now)).toEqual({
      kind: 'wait',
      until: undefined,
    });
    expect(plan(rules, dunningCase(), undefined, owing, facts(), now)).toEqual({
      kind: 'close',
      reason: 'customer removed',
    });
    expect(plan(rules, dunningCase(), customer(), nothing, facts(), now)).toEqual({ kind: 'close', reason: 'paid' });
  });

  it('does not touch a step another runner holds; finishes one whose lease ran out, with its recipient and text', () => {
    const pending = {
      key: 'sms',
      owner: 'other',
      startedAt: at('2026-10-05T09:58:00Z'),
      leaseUntil: at('2026-10-05T10:00:30Z'),
      to: '+48601100009',
      body: 'as claimed',
    };
    expect(plan(rules, dunningCase({ pending }), customer(), owing, facts(), now)).toEqual({ kind: 'busy' });
    const expired = { ...pending, leaseUntil: at('2026-10-05T09:59:00Z') };
    expect(plan(rules, dunningCase({ pending: expired }), customer(), owing, facts(), now)).toEqual({
      kind: 'step',
      key: 'sms',
      action: 'sms',
      round: 0,
      phone: '+48601100009',
      body: 'as claimed',
    });
    const call = {
      key: 'call:3',
      owner: 'other',
      startedAt: expired.startedAt,
      leaseUntil: expired.leaseUntil,
      to: '+48601100001',
    };
    expect(
      plan(rules, dunningCase({ pending: call, stage: 'call', callRounds: 2 }), customer(), owing, facts(), now),
    ).toEqual({ kind: 'step', key: 'call:3', action: 'call', round: 3, phone: '+48601100001' });
  });
});

describe('plan: the rungs', () => {
  it('waits for the first rung, counted from the oldest invoice still open', () => {
    expect(plan(rules, dunningCase(), customer(), owing, facts(), at('2026-10-04T10:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-05T10:00:00Z'),
    });
    const newer = balance([invoice(100, at('2026-10-07T10:00:00Z'))]);
    expect(plan(rules, dunningCase(), customer(), newer, facts(), at('2026-10-05T10:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-10T10:00:00Z'),
    });
  });

  it('texts the first mobile inside calling hours, and waits for the next window outside them', () => {
    const step = plan(rules, dunningCase(), customer(), owing, facts(), at('2026-10-05T10:00:00Z'));
    expect(step).toEqual({
      kind: 'step',
      key: 'sms',
      action: 'sms',
      round: 0,
      phone: '+48601100001',
      body: smsBody(rules.smsTemplate, customer(), 'PLN', owing),
    });
    // 21:00 on Monday in Warsaw → 08:00 on Tuesday; Sunday → Monday 08:00.
    expect(plan(rules, dunningCase(), customer(), owing, facts(), at('2026-10-05T19:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-06T06:00:00Z'),
    });
    expect(plan(rules, dunningCase(), customer(), owing, facts(), at('2026-10-11T10:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-12T06:00:00Z'),
    });
  });

  it('skips the text for do-not-call, do-not-SMS, no consent or no mobile, whatever the hour', () => {
    const late = at('2026-10-05T19:00:00Z');
    const skip = (flags: Partial<CustomerDoc['flags']>, phones: CustomerDoc['phones'] = [mobile]) =>
      plan(
        rules,
        dunningCase(),
        customer({ flags: { doNotCall: false, smsConsent: true, doNotSms: false, ...flags }, phones }),
        owing,
        facts(),
        late,
      );
    expect(skip({ doNotCall: true, doNotSms: true })).toEqual({
      kind: 'skip',
      key: 'sms',
      action: 'sms',
      reason: 'do-not-call',
    });
    expect(skip({ doNotSms: true })).toEqual({ kind: 'skip', key: 'sms', action: 'sms', reason: 'do-not-SMS' });
    expect(skip({ smsConsent: false })).toEqual({ kind: 'skip', key: 'sms', action: 'sms', reason: 'no SMS consent' });
    expect(skip({}, [landline])).toEqual({ kind: 'skip', key: 'sms', action: 'sms', reason: 'no mobile number' });
  });

  it('sends the letter whatever the flags; asks for the first call unless do-not-call', () => {
    const afterSms = dunningCase({ stage: 'sms', stepsDone: ['sms'], lastStepAt: at('2026-10-05T10:00:00Z') });
    const noCalls = customer({ flags: { doNotCall: true, smsConsent: false, doNotSms: true } });
    expect(plan(rules, afterSms, noCalls, owing, facts(), at('2026-10-16T10:00:00Z'))).toEqual({
      kind: 'step',
      key: 'letter',
      action: 'letter',
      round: 0,
    });
    const afterLetter = dunningCase({
      stage: 'letter',
      stepsDone: ['sms', 'letter'],
      lastStepAt: at('2026-10-16T10:00:00Z'),
    });
    const now = at('2026-10-23T10:00:00Z');
    expect(plan(rules, afterLetter, customer({ phones: [landline, mobile] }), owing, facts(), now)).toEqual({
      kind: 'step',
      key: 'call',
      action: 'call',
      round: 1,
      phone: '+48121000002',
    });
    expect(plan(rules, afterLetter, noCalls, owing, facts(), now)).toEqual({
      kind: 'skip',
      key: 'call',
      action: 'call',
      reason: 'do-not-call',
    });
  });

  it('keeps the ladder’s spacing after a rung taken late, and has nothing to do after the last one', () => {
    const late = dunningCase({ stage: 'sms', stepsDone: ['sms'], lastStepAt: at('2026-10-20T10:00:00Z') });
    expect(plan(rules, late, customer(), owing, facts(), at('2026-10-21T10:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-31T10:00:00Z'),
    });
    const done = dunningCase({
      stage: 'legal',
      stepsDone: ['sms', 'letter', 'call', 'legal'],
      lastStepAt: at('2026-11-16T10:00:00Z'),
    });
    expect(plan(rules, done, customer(), owing, facts(), at('2026-12-01T10:00:00Z'))).toEqual({
      kind: 'wait',
      until: undefined,
    });
  });
});

describe('plan: between the call and the legal referral', () => {
  // The first call was asked for on 10-23; legal is due on 11-16. Monday 10-26 11:00 in Warsaw.
  const inCalls = (over: Partial<CaseDoc> = {}) =>
    dunningCase({
      stage: 'call',
      callRounds: 1,
      stepsDone: ['sms', 'letter', 'call'],
      lastStepAt: at('2026-10-23T10:00:00Z'),
      ...over,
    });
  const now = at('2026-10-26T10:00:00Z');
  const call = (status: Callback['status'], lastAttempt?: string) => ({
    status,
    dueAt: at('2026-10-23T10:00:00Z'),
    attempts: lastAttempt ? [{ at: at(lastAttempt), outcome: 'no answer' }] : [],
  });

  it('waits for the next rung after a call that reached the customer, and looks daily while a call is not over', () => {
    expect(
      plan(
        rules,
        inCalls(),
        customer(),
        owing,
        facts({ calls: [[1, call('completed', '2026-10-23T10:05:00Z')]] }),
        now,
      ),
    ).toEqual({ kind: 'wait', until: at('2026-11-16T10:00:00Z') });
    expect(plan(rules, inCalls(), customer(), owing, facts({ calls: [[1, call('scheduled')]] }), now)).toEqual({
      kind: 'wait',
      until: at('2026-10-27T10:00:00Z'),
    });
    expect(plan(rules, inCalls(), customer(), owing, facts(), now)).toEqual({
      kind: 'wait',
      until: at('2026-10-27T10:00:00Z'),
    });
  });

  it('asks for another call a day after the last attempt of one that found nobody', () => {
    expect(
      plan(rules, inCalls(), customer(), owing, facts({ calls: [[1, call('failed', '2026-10-26T08:00:00Z')]] }), now),
    ).toEqual({ kind: 'wait', until: at('2026-10-27T08:00:00Z') });
    expect(
      plan(
        rules,
        inCalls(),
        customer(),
        owing,
        facts({ calls: [[1, call('cancelled', '2026-10-25T08:00:00Z')]] }),
        now,
      ),
    ).toEqual({ kind: 'step', key: 'call:2', action: 'call', round: 2, phone: '+48601100001' });
  });

  it('calls the next number at once after a wrong number, and waits a day with a note when none is left', () => {
    const wrong = inCalls({
      history: [{ at: at('2026-10-26T09:30:00Z'), action: 'wrong_number', outcome: '+48601100001' }],
    });
    const lastCall = facts({ calls: [[1, call('completed', '2026-10-26T09:00:00Z')]] });
    const phones = [{ ...mobile, wrongNumber: true }, landline];
    expect(plan(rules, wrong, customer({ phones }), owing, lastCall, now)).toEqual({
      kind: 'step',
      key: 'call:2',
      action: 'call',
      round: 2,
      phone: '+48121000002',
    });
    expect(plan(rules, wrong, customer({ phones: [{ ...mobile, wrongNumber: true }] }), owing, lastCall, now)).toEqual({
      kind: 'wait',
      until: at('2026-10-27T10:00:00Z'),
      note: 'no number to call',
    });
  });
});

describe('plan: paused cases', () => {
  const promised = (balanceAtPromise: number) =>
    dunningCase({
      status: 'paused',
      pausedReason: 'promise',
      promiseToPay: { date: at('2026-10-30T00:00:00Z'), amount: 500, recordedAt: at('2026-10-26T10:00:00Z') },
      balanceAtPromise,
    });

  it('judges a promise a grace period after its date: kept when the balance went down by the amount', () => {
    expect(plan(rules, promised(1334.5), customer(), owing, facts(), at('2026-10-30T12:00:00Z'))).toEqual({
      kind: 'wait',
      until: at('2026-10-31T00:00:00Z'),
    });
    const after = at('2026-10-31T00:00:00Z');
    expect(plan(rules, promised(1834.5), customer(), owing, facts(), after)).toEqual({
      kind: 'resume',
      action: 'promise_kept',
    });
    expect(plan(rules, promised(1834.49), customer(), owing, facts(), after)).toEqual({
      kind: 'resume',
      action: 'promise_broken',
    });
  });

  it('waits a day at a time while the dispute is open, and resumes when it is closed', () => {
    const disputed = dunningCase({ status: 'paused', pausedReason: 'dispute', disputeCaseId: oid(7) });
    const now = at('2026-10-26T10:00:00Z');
    expect(
      plan(rules, disputed, customer(), owing, facts({ disputes: [[oid(7).toHexString(), 'open']] }), now),
    ).toEqual({ kind: 'wait', until: at('2026-10-27T10:00:00Z') });
    expect(
      plan(rules, disputed, customer(), owing, facts({ disputes: [[oid(7).toHexString(), 'closed']] }), now),
    ).toEqual({ kind: 'resume', action: 'dispute_resolved' });
    expect(
      plan(rules, dunningCase({ status: 'paused', pausedReason: 'dispute' }), customer(), owing, facts(), now),
    ).toEqual({ kind: 'resume', action: 'dispute_resolved' });
  });
});

describe('callGate', () => {
  const now = at('2026-10-26T10:00:00Z');
  const attempts = (first: string, n: number) =>
    Array.from({ length: n }, (_, i) => new Date(at(first).getTime() + i * 3_600_000));

  it('lets a call be asked for with a number, not for do-not-call or without one', () => {
    expect(callGate(rules, dunningCase(), customer(), now)).toEqual({ kind: 'ok', phone: '+48601100001' });
    expect(
      callGate(rules, dunningCase(), customer({ flags: { doNotCall: true, smsConsent: true, doNotSms: false } }), now),
    ).toEqual({ kind: 'skip', reason: 'do-not-call' });
    expect(callGate(rules, dunningCase(), customer({ phones: [] }), now)).toEqual({
      kind: 'skip',
      reason: 'no number to call',
    });
  });

  it('waits until the oldest of the last 7 attempts in 7 days leaves the window', () => {
    const capped = dunningCase({ callAttempts: attempts('2026-10-20T12:00:00Z', 7).reverse() });
    expect(callGate(rules, capped, customer(), now)).toEqual({ kind: 'wait', until: at('2026-10-27T12:00:00Z') });
    const older = dunningCase({ callAttempts: [at('2026-10-19T09:00:00Z'), ...attempts('2026-10-20T12:00:00Z', 6)] });
    expect(callGate(rules, older, customer(), now)).toEqual({ kind: 'ok', phone: '+48601100001' });
  });
});

describe('after a step', () => {
  const sms: StepPlan = { kind: 'step', key: 'sms', action: 'sms', round: 0, phone: '+48601100001', body: 'text' };
  const call: StepPlan = { kind: 'step', key: 'call', action: 'call', round: 1, phone: '+48601100001' };
  const call2: StepPlan = { kind: 'step', key: 'call:2', action: 'call', round: 2, phone: '+48601100001' };

  it('tells a rung from a later round of its calls', () => {
    expect([sms, call, call2].map(isRung)).toEqual([true, true, false]);
  });

  it('dates a step from now, or from the claim it finishes', () => {
    const now = at('2026-10-05T10:00:00Z');
    const startedAt = at('2026-10-05T09:00:00Z');
    expect(stepStartedAt(dunningCase(), sms, now)).toEqual(now);
    expect(
      stepStartedAt(dunningCase({ pending: { key: 'sms', owner: 'x', startedAt, leaseUntil: startedAt } }), sms, now),
    ).toEqual(startedAt);
    expect(
      stepStartedAt(
        dunningCase({ pending: { key: 'letter', owner: 'x', startedAt, leaseUntil: startedAt } }),
        sms,
        now,
      ),
    ).toEqual(now);
  });

  it('looks again when the next rung is due, spaced from when this one began', () => {
    expect(nextLook(rules, dunningCase(), sms, owing, at('2026-10-20T10:00:00Z'))).toEqual(at('2026-10-31T10:00:00Z'));
    const startedAt = at('2026-10-05T09:00:00Z');
    const finishing = dunningCase({ pending: { key: 'sms', owner: 'x', startedAt, leaseUntil: startedAt } });
    expect(nextLook(rules, finishing, sms, owing, at('2026-10-05T10:00:00Z'))).toEqual(at('2026-10-16T10:00:00Z'));
  });

  it('looks daily while calls are under way, and at the next rung when it comes first', () => {
    const afterLetter = dunningCase({ stepsDone: ['sms', 'letter'], lastStepAt: at('2026-10-16T10:00:00Z') });
    expect(nextLook(rules, afterLetter, call, owing, at('2026-10-23T10:00:00Z'))).toEqual(at('2026-10-24T10:00:00Z'));
    const inCalls = dunningCase({ stepsDone: ['sms', 'letter', 'call'], lastStepAt: at('2026-10-23T10:00:00Z') });
    expect(nextLook(rules, inCalls, call2, owing, at('2026-11-15T22:00:00Z'))).toEqual(at('2026-11-16T10:00:00Z'));
    const allDone = dunningCase({ stepsDone: ['sms', 'letter', 'legal'], lastStepAt: at('2026-11-16T10:00:00Z') });
    expect(nextLook(rules, allDone, call, owing, at('2026-11-20T10:00:00Z'))).toEqual(at('2026-11-21T10:00:00Z'));
  });
});
