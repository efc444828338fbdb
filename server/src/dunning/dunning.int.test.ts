import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { extractText } from 'unpdf';
import type { RecordedRequest } from '@ringside/telephony/testing';
import { ManualClock } from '../clock';
import { addCustomer, startCallsHarness, TWILIO, type CallsHarness } from '../testing/calls-harness';
import type { DunningService } from './dunning.service';

// The test moves its clock by days while its consoles stay signed in: their sessions outlast it.
const LONG_TTL = '400d';

// The dunning ladder against the real app and database, with a clock moved by hand and the
// local Twilio REST endpoint recording what would have gone to Twilio.
const clock = new ManualClock(new Date('2026-11-02T13:00:00Z'));
let h: CallsHarness;
let dunning: DunningService;
const tokens: Record<string, string> = {};
let invoiceNo = 0;

const at = (iso: string) => clock.set(new Date(iso));

/** A debt due 2026-10-01 through its reminder (day 22), letter (day 33) and call (day 40) scans. */
async function upToTheCall(): Promise<void> {
  at('2026-10-23T13:00:00Z');
  await dunning.scan(); // sms
  at('2026-11-03T13:00:00Z');
  await dunning.scan(); // letter
  at('2026-11-10T13:00:00Z');
  await dunning.scan(); // call
}
const smsTo = (phone: string) =>
  h.twilio.requests.filter((r) => r.path.endsWith('/Messages.json') && r.method === 'POST' && r.params.To === phone);

async function login(email: string): Promise<string> {
  tokens[email] ??= (
    (await (
      await fetch(`${h.server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'ringside' }),
      })
    ).json()) as { token: string }
  ).token;
  return tokens[email];
}

async function api(method: string, path: string, as: string, body?: unknown) {
  const res = await fetch(`${h.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await login(as)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    body: type.includes('json')
      ? ((await res.json()) as Record<string, unknown>)
      : Buffer.from(await res.arrayBuffer()),
  };
}

async function debtor(
  name: string,
  phone: string,
  opts: { zone?: string; amounts?: number[]; dueAt?: string; flags?: Record<string, boolean> } = {},
) {
  const customer = await addCustomer(h.models, { name, phones: [phone] });
  await h.models.Customer.updateOne(
    { _id: customer._id },
    {
      $set: {
        timeZone: opts.zone ?? 'Europe/Warsaw',
        address: { street: 'ul. Długa 5', city: 'Kraków', postalCode: '31-147', country: 'PL' },
        ...Object.fromEntries(Object.entries(opts.flags ?? {}).map(([k, v]) => [`flags.${k}`, v])),
      },
    },
  );
  const invoices = [];
  for (const [i, amount] of (opts.amounts ?? [1234.5]).entries()) {
    invoiceNo += 1;
    const dueAt = new Date(new Date(opts.dueAt ?? '2026-11-02T12:00:00Z').getTime() + i * 86_400_000);
    invoices.push(
      await h.models.Invoice.create({
        customerId: customer._id,
        number: `INV-T-${String(invoiceNo).padStart(4, '0')}`,
        currency: 'PLN',
        amount,
        paid: 0,
        issuedAt: new Date(dueAt.getTime() - 14 * 86_400_000),
        dueAt,
        status: 'open',
        paymentReference: `RF18${String(invoiceNo).padStart(8, '0')}`,
      }),
    );
  }
  return { customer, invoices, phone: customer.phones[0]?.e164 ?? '' };
}

async function pay(invoiceId: Types.ObjectId, amount: number) {
  const inv = await h.models.Invoice.findById(invoiceId).lean();
  if (!inv) throw new Error('no invoice');
  const paid = inv.paid + amount;
  await h.models.Invoice.updateOne(
    { _id: invoiceId },
    { $set: { paid, status: paid >= inv.amount ? 'paid' : 'open' } },
  );
  await h.models.Payment.create({
    customerId: inv.customerId,
    invoiceId,
    amount,
    currency: inv.currency,
    paidAt: clock.now(),
    reference: inv.paymentReference,
  });
}

const caseOf = async (customerId: Types.ObjectId) =>
  h.models.DunningCase.findOne({ customerId }).sort({ openedAt: -1 }).lean();

async function pdfText(buffer: Buffer): Promise<string> {
  const { text } = await extractText(new Uint8Array(buffer), { mergePages: true });
  return text;
}

beforeAll(async () => {
  h = await startCallsHarness({ DUNNING_SMS_FROM: '+48221002000', JWT_TTL: LONG_TTL }, { clock });
  dunning = h.server.app.dunning;
});
afterAll(async () => {
  await h.stop();
});

describe('the ladder for one customer', () => {
  let d: Awaited<ReturnType<typeof debtor>>;
  let caseId: string;

  beforeAll(async () => {
    d = await debtor('Tomasz Zieliński', '601 100 001', { amounts: [1234.5, 100] });
  });

  it('day 3: one SMS with the amount, the oldest due date and a payment reference, even when the scan runs twice', async () => {
    at('2026-11-04T13:00:00Z'); // day 2: a case, nothing sent yet
    await dunning.scan();
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'open', stage: 'none', amount: 1334.5 });
    expect(smsTo(d.phone)).toHaveLength(0);

    at('2026-11-05T13:00:00Z');
    const report = await dunning.scan();
    expect(report.actions.sms, JSON.stringify(report)).toBeGreaterThanOrEqual(1);
    await dunning.scan();
    await Promise.all([dunning.scan(), dunning.scan()]);
    const sent = smsTo(d.phone);
    expect(sent).toHaveLength(1);
    const request = sent[0] as RecordedRequest;
    expect(request.path).toBe(`/2010-04-01/Accounts/${TWILIO.sid}/Messages.json`);
    expect(request.params).toMatchObject({
      To: '+48601100001',
      From: '+48221002000',
      StatusCallback: `${TWILIO.publicUrl}/telephony/twilio/sms-status`,
    });
    expect(request.params.Body).toContain('1,334.50 PLN');
    expect(request.params.Body).toContain('2026-11-02');
    expect(request.params.Body).toContain('RF18');
    const c = await caseOf(d.customer._id);
    caseId = c?._id.toHexString() ?? '';
    expect(c).toMatchObject({ stage: 'sms', stepsDone: ['sms'], messages: [{ to: '+48601100001', status: 'queued' }] });
    expect(c?.pending).toBeUndefined();
    expect(await h.models.DunningCase.countDocuments({ customerId: d.customer._id })).toBe(1);
  });

  it('records delivery reports from Twilio', async () => {
    const c = await caseOf(d.customer._id);
    const sid = c?.messages[0]?.sid ?? '';
    const res = await h.webhook('/telephony/twilio/sms-status', {
      MessageSid: sid,
      MessageStatus: 'delivered',
      AccountSid: TWILIO.sid,
      To: d.phone,
    });
    expect(res.status).toBe(204);
    // A late "sent" after "delivered" does not undo it.
    await h.webhook('/telephony/twilio/sms-status', {
      MessageSid: sid,
      MessageStatus: 'sent',
      AccountSid: TWILIO.sid,
      To: d.phone,
    });
    const after = await caseOf(d.customer._id);
    expect(after?.messages[0]?.status).toBe('delivered');
    expect(after?.history.filter((x) => x.action === 'sms_status').map((x) => x.outcome)).toEqual([
      'delivered',
      'sent',
    ]);
    expect(
      (await h.webhook('/telephony/twilio/sms-status', { MessageSid: sid, MessageStatus: 'delivered' }, 'forged'))
        .status,
    ).toBe(403);
  });

  it('day 14: a letter PDF with the name, amounts and due dates, served to those who may read the case', async () => {
    at('2026-11-15T13:00:00Z');
    await dunning.scan();
    expect((await caseOf(d.customer._id))?.stage).toBe('sms');
    at('2026-11-16T13:00:00Z');
    await dunning.scan();
    await dunning.scan();
    const c = await caseOf(d.customer._id);
    expect(c).toMatchObject({ stage: 'letter', letterPath: `/api/dunning/cases/${caseId}/letter` });
    const letter = await api('GET', `/api/dunning/cases/${caseId}/letter`, 'supervisor@ringside.test');
    expect(letter.status).toBe(200);
    expect(letter.type).toBe('application/pdf');
    const text = await pdfText(letter.body as Buffer);
    expect(text).toContain('Tomasz Zieliński');
    expect(text).toContain('1,234.50 PLN');
    expect(text).toContain('100.00 PLN');
    expect(text).toContain('1,334.50 PLN');
    expect(text).toContain('2026-11-02');
    expect(text).toContain('2026-11-03');
    expect(text).toContain(d.invoices[0]?.number ?? 'missing');
    expect(
      await h.server.db.conn.collection('dunningdocuments').countDocuments({ caseId: new Types.ObjectId(caseId) }),
    ).toBe(1);
    expect((await api('GET', `/api/dunning/cases/${caseId}/letter`, 'nobody@ringside.test')).status).toBe(401);
  });

  it('day 21: a callback in the collections queue; the pop says why we are calling', async () => {
    at('2026-11-23T13:00:00Z');
    await dunning.scan();
    await dunning.scan();
    const callbacks = await h.models.Callback.find({ dunningCaseId: new Types.ObjectId(caseId) }).lean();
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]).toMatchObject({
      queue: 'collections',
      source: 'dunning',
      phone: '+48601100001',
      status: 'scheduled',
      dueAt: new Date('2026-11-23T13:00:00Z'),
    });
    const pop = await api('GET', `/api/customers/${d.customer._id.toHexString()}/screen-pop`, 'agent4@ringside.test');
    expect(pop.body).toMatchObject({
      dunning: {
        id: caseId,
        stage: 'call',
        amount: 1334.5,
        invoices: [
          { number: d.invoices[0]?.number, open: 1234.5 },
          { number: d.invoices[1]?.number, open: 100 },
        ],
        lastReminder: { type: 'letter' },
      },
    });
  });

  it('day 45: a legal referral with a PDF summary of every reminder and call; every action audited', async () => {
    at('2026-12-17T13:00:00Z');
    await dunning.scan();
    await dunning.scan();
    const c = await caseOf(d.customer._id);
    expect(c).toMatchObject({ stage: 'legal', status: 'open' });
    expect(c?.nextActionAt).toBeUndefined();
    const legal = await h.models.Case.find({ customerId: d.customer._id, kind: 'legal' }).lean();
    expect(legal).toHaveLength(1);
    expect(c?.legalCaseId?.equals(legal[0]?._id ?? new Types.ObjectId())).toBe(true);
    const summary = await api('GET', `/api/dunning/cases/${caseId}/legal-summary`, 'legal@ringside.test');
    expect(summary.status).toBe(200);
    const text = await pdfText(summary.body as Buffer);
    expect(text).toContain('Tomasz Zieliński');
    expect(text).toContain('1,334.50 PLN');
    expect(text).toMatch(/2026-11-05 14:00\s+sms/);
    expect(text).toMatch(/2026-11-16 14:00\s+letter/);
    expect(text).toMatch(/2026-11-23 14:00\s+call/);
    const audited = await h.models.Audit.find({ entity: 'dunning_case', entityId: caseId }).lean();
    expect(new Set(audited.map((a) => a.action))).toEqual(
      new Set([
        'dunning.opened',
        'dunning.sms',
        'dunning.sms_status',
        'dunning.letter',
        'dunning.call',
        'dunning.legal',
        'read.letter',
        'read.legal-summary',
      ]),
    );
    const list = await api('GET', '/api/dunning/cases?stage=legal', 'legal@ringside.test');
    expect(((list.body as Record<string, unknown>).cases as Array<{ id: string }>).map((x) => x.id)).toContain(caseId);
    const figures = await api('GET', '/api/supervisor/stats', 'supervisor@ringside.test');
    expect(
      ((figures.body as Record<string, unknown>).dunning as { byStage: Record<string, number> }).byStage.legal,
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('rules checked when the step runs', () => {
  it('a payment after the step was planned but before it runs: nothing is sent, the case closes', async () => {
    at('2026-11-05T13:00:00Z');
    const d = await debtor('Anna Kowalska', '601 100 002', { dueAt: '2026-11-01T12:00:00Z' });
    // The case is planned for its reminder (due day 3)…
    at('2026-11-03T13:00:00Z');
    await dunning.scan();
    const planned = await caseOf(d.customer._id);
    expect(planned?.nextActionAt).toEqual(new Date('2026-11-04T12:00:00Z'));
    // …the customer pays before it runs.
    await pay(d.invoices[0]?._id ?? new Types.ObjectId(), 1234.5);
    at('2026-11-04T13:00:00Z');
    await dunning.scan();
    expect(smsTo(d.phone)).toHaveLength(0);
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'closed', closedReason: 'paid' });
    // A new overdue invoice later: a new case.
    await h.models.Invoice.create({
      customerId: d.customer._id,
      number: 'INV-T-LATER',
      currency: 'PLN',
      amount: 80,
      paid: 0,
      issuedAt: new Date('2026-10-20T12:00:00Z'),
      dueAt: new Date('2026-11-03T12:00:00Z'),
      status: 'open',
      paymentReference: 'RF18LATER',
    });
    await dunning.scan();
    expect(
      await h.models.DunningCase.find({ customerId: d.customer._id }, { status: 1, amount: 1 })
        .sort({ openedAt: 1 })
        .lean(),
    ).toMatchObject([{ status: 'closed' }, { status: 'open', amount: 80 }]);
  });

  it('payments seen by two scans at once are recorded and counted once; a case with a step under way is closed after it', async () => {
    const d = await debtor('Karol Dąbrowski', '601 100 013', { dueAt: '2026-11-01T12:00:00Z', amounts: [300, 200] });
    at('2026-11-02T13:00:00Z');
    await dunning.scan();
    const recovered = async () => (await dunning.figures()).recovered.find((r) => r.currency === 'PLN')?.amount ?? 0;
    const before = await recovered();
    await pay(d.invoices[0]?._id ?? new Types.ObjectId(), 100);
    await Promise.all([dunning.scan(), dunning.scan()]);
    const partly = await caseOf(d.customer._id);
    expect(partly).toMatchObject({ status: 'open', amount: 400 });
    expect(partly?.history.filter((x) => x.action === 'payment_received')).toHaveLength(1);
    expect(await recovered()).toBeCloseTo(before + 100, 2);

    // Paid in full while another process has the case's reminder under way: left open for it…
    const lease = {
      key: 'sms',
      owner: 'elsewhere',
      startedAt: clock.now(),
      leaseUntil: new Date(clock.now().getTime() + 60_000),
      to: d.phone,
      body: 'reminder',
    };
    await h.models.DunningCase.updateOne({ _id: partly?._id }, { $set: { pending: lease } });
    await pay(d.invoices[0]?._id ?? new Types.ObjectId(), 200);
    await pay(d.invoices[1]?._id ?? new Types.ObjectId(), 200);
    await Promise.all([dunning.scan(), dunning.scan()]);
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'open', pending: { owner: 'elsewhere' } });
    // …and closed, once, when that step is over.
    await h.models.DunningCase.updateOne({ _id: partly?._id }, { $unset: { pending: 1 } });
    await Promise.all([dunning.scan(), dunning.scan()]);
    const closed = await caseOf(d.customer._id);
    expect(closed).toMatchObject({ status: 'closed', closedReason: 'paid' });
    expect(closed?.history.filter((x) => x.action === 'closed')).toHaveLength(1);
    expect(await recovered()).toBeCloseTo(before + 500, 2);
    expect(await h.models.Audit.countDocuments({ action: 'dunning.closed', entityId: closed?._id.toHexString() })).toBe(
      1,
    );
  });

  it('a payment before a due collections callback is offered: the callback is cancelled, never dialed', async () => {
    const d = await debtor('Piotr Nowak', '601 100 003', { dueAt: '2026-10-01T12:00:00Z' });
    await upToTheCall();
    const cb = await h.models.Callback.findOne({ customerId: d.customer._id }).lean();
    expect(cb?.status).toBe('scheduled');
    // Paid in a way the scan has not seen yet: only the dialer's check stands between.
    await h.models.Invoice.updateOne({ _id: d.invoices[0]?._id }, { $set: { paid: 1234.5, status: 'paid' } });
    await h.server.app.dialer.processDue();
    expect(await h.models.Callback.findById(cb?._id).lean()).toMatchObject({ status: 'cancelled' });
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'closed', closedReason: 'paid' });
    expect(h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json') && r.params.To === d.phone)).toHaveLength(0);
  });

  it('promise to pay pauses the ladder, a broken one resumes it, a kept one is counted', async () => {
    const d = await debtor('Ewa Wiśniewska', '601 100 004', { dueAt: '2026-10-01T12:00:00Z', amounts: [500] });
    await upToTheCall();
    const c = await caseOf(d.customer._id);
    const id = c?._id.toHexString() ?? '';
    expect(c?.stage).toBe('call');

    expect(
      (
        await api('POST', `/api/dunning/cases/${id}/outcome`, 'agent4@ringside.test', {
          outcome: 'promise_to_pay',
          amount: 200,
        })
      ).status,
    ).toBe(400);
    expect(
      (await api('POST', `/api/dunning/cases/${id}/outcome`, 'legal@ringside.test', { outcome: 'paid' })).status,
    ).toBe(403);
    const promised = await api('POST', `/api/dunning/cases/${id}/outcome`, 'agent4@ringside.test', {
      outcome: 'promise_to_pay',
      amount: 200,
      date: '2026-11-14T00:00:00+01:00',
    });
    expect(promised.status).toBe(200);
    expect((promised.body as Record<string, unknown>).case).toMatchObject({
      status: 'paused',
      promiseToPay: { amount: 200 },
    });
    expect((await h.models.Callback.findOne({ dunningCaseId: c?._id }).lean())?.status).toBe('cancelled');

    // Paused: the legal referral's day comes and goes without a step.
    at('2026-11-14T13:00:00Z');
    await dunning.scan();
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'paused' });
    // The promise is judged the day after its date: 50 paid of 200 → broken, the ladder resumes.
    await pay(d.invoices[0]?._id ?? new Types.ObjectId(), 50);
    at('2026-11-15T13:00:00Z');
    const report = await dunning.scan();
    expect(report.actions.promise_broken).toBe(1);
    const resumed = await caseOf(d.customer._id);
    expect(resumed).toMatchObject({ status: 'open', amount: 450 });
    expect(resumed?.history.map((x) => x.action)).toContain('promise_broken');

    // A second promise, kept this time.
    const again = await api('POST', `/api/dunning/cases/${id}/outcome`, 'agent4@ringside.test', {
      outcome: 'promise_to_pay',
      amount: 150,
      date: '2026-11-18T12:00:00Z',
    });
    expect(again.status).toBe(200);
    await pay(d.invoices[0]?._id ?? new Types.ObjectId(), 150);
    at('2026-11-19T13:00:00Z');
    expect((await dunning.scan()).actions.promise_kept).toBe(1);
    const figures = await dunning.figures();
    expect(figures.promisesKept).toBeGreaterThanOrEqual(1);
    expect(figures.promisesBroken).toBeGreaterThanOrEqual(1);
    expect(figures.recovered.find((r) => r.currency === 'PLN')?.amount).toBeGreaterThanOrEqual(200);
  });

  it('dispute pauses and opens a case; wrong number flags the number', async () => {
    const d = await debtor('Jan Wójcik', '601 100 005', { dueAt: '2026-10-01T12:00:00Z' });
    await h.models.Customer.updateOne(
      { _id: d.customer._id },
      { $push: { phones: { raw: '601 100 015', e164: '+48601100015', type: 'mobile' }, phoneKeys: '+48601100015' } },
    );
    await upToTheCall();
    const c = await caseOf(d.customer._id);
    const id = c?._id.toHexString() ?? '';
    const wrong = await api('POST', `/api/dunning/cases/${id}/outcome`, 'agent5@ringside.test', {
      outcome: 'wrong_number',
    });
    expect(wrong.status).toBe(200);
    const customer = await h.models.Customer.findById(d.customer._id).lean();
    expect(customer?.phones.map((p) => [p.e164, p.wrongNumber ?? false])).toEqual([
      ['+48601100005', true],
      ['+48601100015', false],
    ]);
    // The next call goes to the other number.
    await dunning.scan();
    const calls = await h.models.Callback.find({ dunningCaseId: c?._id }).sort({ createdAt: 1 }).lean();
    expect(calls.map((x) => [x.phone, x.status])).toEqual([
      ['+48601100005', 'cancelled'],
      ['+48601100015', 'scheduled'],
    ]);

    const disputed = await api('POST', `/api/dunning/cases/${id}/outcome`, 'agent5@ringside.test', {
      outcome: 'dispute',
      reason: 'Goods never arrived',
    });
    expect((disputed.body as Record<string, unknown>).case).toMatchObject({
      status: 'paused',
      pausedReason: 'dispute',
    });
    const dispute = await h.models.Case.findOne({ customerId: d.customer._id, kind: 'dispute' }).lean();
    expect(dispute).toMatchObject({ status: 'open', subject: expect.stringContaining('Goods never arrived') });
    at('2026-12-20T13:00:00Z');
    await dunning.scan();
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'paused', stage: 'call' });
    await h.models.Case.updateOne({ _id: dispute?._id }, { $set: { status: 'closed' } });
    at('2026-12-21T13:00:00Z');
    await dunning.scan();
    expect(await caseOf(d.customer._id)).toMatchObject({ status: 'open', stage: 'legal' });
  });

  it('do-not-call: no SMS and no call, but the letter and the legal referral', async () => {
    const d = await debtor('Marek Lewandowski', '601 100 006', {
      dueAt: '2026-09-01T12:00:00Z',
      flags: { doNotCall: true },
    });
    for (const day of ['2026-09-04', '2026-09-15', '2026-09-22', '2026-10-16', '2026-10-17']) {
      at(`${day}T13:00:00Z`);
      await dunning.scan();
    }
    const c = await caseOf(d.customer._id);
    expect(c?.history.map((x) => x.action)).toEqual(['opened', 'sms_skipped', 'letter', 'call_skipped', 'legal']);
    expect(c?.history.find((x) => x.action === 'sms_skipped')?.outcome).toBe('do-not-call');
    expect(smsTo(d.phone)).toHaveLength(0);
    expect(await h.models.Callback.countDocuments({ customerId: d.customer._id })).toBe(0);
    expect(c).toMatchObject({ stage: 'legal', letterPath: expect.any(String), legalSummaryPath: expect.any(String) });
  });

  it('calling hours in the customer’s zone: a reminder waits for the morning in Tokyo, not in New York', async () => {
    const ny = await debtor('Mary Smith', '601 100 007', { zone: 'America/New_York', dueAt: '2026-11-01T12:00:00Z' });
    const tokyo = await debtor('Haruto Sato', '601 100 008', { zone: 'Asia/Tokyo', dueAt: '2026-11-01T12:00:00Z' });
    at('2026-11-04T13:30:00Z'); // 08:30 in New York, 22:30 in Tokyo (Wednesday)
    const report = await dunning.scan();
    expect(smsTo(ny.phone), JSON.stringify(report)).toHaveLength(1);
    expect(smsTo(tokyo.phone)).toHaveLength(0);
    expect((await caseOf(tokyo.customer._id))?.nextActionAt).toEqual(new Date('2026-11-04T23:00:00Z'));
    at('2026-11-04T23:00:00Z');
    await dunning.scan();
    expect(smsTo(tokyo.phone)).toHaveLength(1);
  });

  it('on a DST change day: the call is due at 08:00 local after the change', async () => {
    // Sunday 2026-11-01: New York falls back from EDT to EST; Sundays are not calling days.
    const ny = await debtor('Robert Brown', '601 100 009', { zone: 'America/New_York', dueAt: '2026-10-11T12:00:00Z' });
    const waw = await debtor('Zofia Kamińska', '601 100 010', { zone: 'Europe/Warsaw', dueAt: '2026-09-24T12:00:00Z' });
    for (const when of ['2026-10-05T14:00:00Z', '2026-10-14T14:00:00Z', '2026-10-16T14:00:00Z']) {
      at(when);
      await dunning.scan();
    }
    // Warsaw changes on Sunday 2026-10-25: its call comes Monday 08:00 CET (07:00Z, not 06:00Z).
    at('2026-10-25T10:00:00Z');
    await dunning.scan();
    const wawCall = await h.models.Callback.findOne({ customerId: waw.customer._id }).lean();
    expect(wawCall?.dueAt).toEqual(new Date('2026-10-26T07:00:00Z'));
    at('2026-10-25T14:00:00Z');
    await dunning.scan();
    at('2026-11-01T15:00:00Z');
    await dunning.scan();
    const nyCall = await h.models.Callback.findOne({ customerId: ny.customer._id }).lean();
    expect(nyCall?.dueAt).toEqual(new Date('2026-11-02T13:00:00Z'));
    // The dialer asks again when it is due: at 07:59 EST it is still too early.
    const early = await dunning.checkCallback(
      nyCall as NonNullable<typeof nyCall>,
      new Date('2026-11-02T12:59:00Z'),
      'offer',
    );
    expect(early).toMatchObject({ proceed: false, postponeTo: new Date('2026-11-02T13:00:00Z') });
    expect(
      await dunning.checkCallback(nyCall as NonNullable<typeof nyCall>, new Date('2026-11-02T13:00:00Z'), 'offer'),
    ).toEqual({ proceed: true });
  });

  it('a call that found nobody is asked again the next day; one that reached the customer waits for the next rung', async () => {
    const d = await debtor('Ewa Jabłońska', '601 100 012', { dueAt: '2026-10-01T12:00:00Z' });
    await upToTheCall();
    const caseId = (await caseOf(d.customer._id))?._id.toHexString() ?? 'missing';
    const round = (n: number) => h.models.Callback.findOne({ naturalKey: `dunning|${caseId}|call|${n}` }).lean();
    const first = await round(1);
    expect(first).toMatchObject({ status: 'scheduled', phone: '+48601100012' });
    expect((await caseOf(d.customer._id))?.nextActionAt).toEqual(new Date('2026-11-11T13:00:00Z'));
    // The dialer gives up on it: nobody answered.
    await h.models.Callback.updateOne(
      { _id: first?._id },
      {
        $set: { status: 'failed' },
        $push: { attempts: { at: new Date('2026-11-10T15:00:00Z'), outcome: 'no-answer; gave up after 3 attempts' } },
      },
    );
    at('2026-11-11T13:00:00Z');
    await dunning.scan(); // a day after the last attempt is 15:00
    expect(await round(2)).toBeNull();
    expect((await caseOf(d.customer._id))?.nextActionAt).toEqual(new Date('2026-11-11T15:00:00Z'));
    at('2026-11-11T15:00:00Z');
    await dunning.scan();
    const second = await round(2);
    expect(second).toMatchObject({ status: 'scheduled', dueAt: new Date('2026-11-11T15:00:00Z') });
    expect(await caseOf(d.customer._id)).toMatchObject({
      callRounds: 2,
      nextActionAt: new Date('2026-11-12T15:00:00Z'),
    });
    // The second one reaches the customer: the case is next looked at when the legal referral is
    // due, 24 days (45 − 21) after the call rung was taken, however many rounds its calls took.
    await h.models.Callback.updateOne(
      { _id: second?._id },
      {
        $set: { status: 'completed' },
        $push: { attempts: { at: new Date('2026-11-11T16:00:00Z'), outcome: 'answered' } },
      },
    );
    at('2026-11-12T15:00:00Z');
    await dunning.scan();
    const after = await caseOf(d.customer._id);
    expect(after).toMatchObject({
      stage: 'call',
      callRounds: 2,
      lastStepAt: new Date('2026-11-10T13:00:00Z'),
      nextActionAt: new Date('2026-12-04T13:00:00Z'),
    });
    expect(await h.models.Callback.countDocuments({ customerId: d.customer._id })).toBe(2);
  });

  it('at most 7 call attempts in 7 days per case, also when dialed at the same moment', async () => {
    const d = await debtor('Adam Mazur', '601 100 011', { dueAt: '2026-10-01T12:00:00Z' });
    await upToTheCall();
    const cb = await h.models.Callback.findOne({ customerId: d.customer._id }).lean();
    if (!cb) throw new Error('no callback');
    for (let i = 0; i < 5; i++) {
      expect(
        await dunning.checkCallback(cb, new Date(Date.parse('2026-11-10T13:00:00Z') + i * 3_600_000), 'dial'),
      ).toEqual({ proceed: true });
    }
    const racing = await Promise.all(
      [1, 2, 3, 4].map(() => dunning.checkCallback(cb, new Date('2026-11-11T09:00:00Z'), 'dial')),
    );
    expect(racing.filter((v) => v.proceed)).toHaveLength(2);
    expect(racing.find((v) => !v.proceed)).toMatchObject({
      reason: '7 call attempts in the last 7 days',
      postponeTo: new Date('2026-11-17T13:00:00Z'),
    });
    expect((await caseOf(d.customer._id))?.callAttempts).toHaveLength(7);
    // Through the dialer: offered, an agent accepts, refused with the reason.
    at('2026-11-12T10:00:00Z');
    await h.models.Callback.updateOne(
      { _id: cb._id },
      { $set: { status: 'offered', offerStage: 'queue', offeredAt: clock.now() } },
    );
    const agent = await login('agent4@ringside.test');
    const accepted = await fetch(`${h.server.url}/api/callbacks/${cb._id.toHexString()}/accept`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}` },
    });
    expect(accepted.status).toBe(409);
    expect(await h.models.Callback.findById(cb._id).lean()).toMatchObject({
      status: 'scheduled',
      dueAt: new Date('2026-11-17T13:00:00Z'),
    });
    // A week after the first attempt, one more is allowed.
    expect(await dunning.checkCallback(cb, new Date('2026-11-17T13:00:00Z'), 'dial')).toEqual({ proceed: true });
  });
});

describe('the API', () => {
  it('lists cases for supervisor, legal and admin only; runs a scan for admins only; refuses bad input', async () => {
    at('2026-12-22T13:00:00Z');
    expect((await api('GET', '/api/dunning/cases', 'agent1@ringside.test')).status).toBe(403);
    const listed = await api('GET', '/api/dunning/cases?status=closed&limit=5', 'supervisor@ringside.test');
    expect(listed.status).toBe(200);
    expect(
      ((listed.body as Record<string, unknown>).cases as Array<{ status: string }>).every((c) => c.status === 'closed'),
    ).toBe(true);
    expect((await api('GET', '/api/dunning/cases?stage=nope', 'admin@ringside.test')).status).toBe(400);
    expect((await api('POST', '/api/dunning/run', 'supervisor@ringside.test')).status).toBe(403);
    const run = await api('POST', '/api/dunning/run', 'admin@ringside.test');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ cases: { live: expect.any(Number) }, actions: expect.any(Object) });
    expect(
      (
        await api('POST', `/api/dunning/cases/${new Types.ObjectId().toHexString()}/outcome`, 'agent4@ringside.test', {
          outcome: 'paid',
        })
      ).status,
    ).toBe(404);
    expect(
      (await api('POST', '/api/dunning/cases/nope/outcome', 'agent4@ringside.test', { outcome: 'paid' })).status,
    ).toBe(400);
  });

  it('an agent outside the customer’s portfolio may not record an outcome', async () => {
    const c = await h.models.DunningCase.findOne({ status: 'open' }).lean();
    expect(c).toBeTruthy();
    expect((await api('PATCH', '/api/settings', 'admin@ringside.test', { restrictToPortfolio: true })).status).toBe(
      200,
    );
    const denied = await api('POST', `/api/dunning/cases/${c?._id.toHexString()}/outcome`, 'agent4@ringside.test', {
      outcome: 'paid',
    });
    expect(denied.status).toBe(403);
    expect((await api('PATCH', '/api/settings', 'admin@ringside.test', { restrictToPortfolio: false })).status).toBe(
      200,
    );
  });
});
