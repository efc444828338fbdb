import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Types } from 'mongoose';
import type { ScreenPop } from '@ringside/shared';
import { freshDatabase } from '../testing/harness';
import { addCustomer, until } from '../testing/calls-harness';
import { seedDemoUsers } from '../seed/seed';
import { createLogger } from '../logger';
import { systemClock } from '../clock';
import type { Database } from '../db/connection';
import type { CustomerDoc } from '../calls/caller-resolution';
import { buildScreenPop } from './screen-pop.service';
import { assemblePop } from './pop-part';
import { readSummary } from './summary-store';
import { WATCHER_LIVE_MS, backfillPopSummaries, startPopSummaries, type PopSummaries } from './summaries';

const DAY = 86_400_000;
const logger = createLogger('silent');
let db: Database & { drop(): Promise<void> };
let watcher: PopSummaries | undefined;

beforeAll(async () => {
  db = await freshDatabase();
  await seedDemoUsers(db.models);
});

afterAll(async () => {
  await watcher?.stop();
  await db.drop();
});

const ago = (days: number) => new Date(systemClock.now().getTime() - days * DAY);

async function customerDoc(id: Types.ObjectId): Promise<CustomerDoc> {
  const c = await db.models.Customer.findById(id, { nameKeys: 0 }).lean<CustomerDoc>();
  if (!c) throw new Error('no such customer');
  return c;
}

/** The pop of a call from `id`'s first number, at `now`: from a fresh full build, and from the summary. */
async function pops(id: Types.ObjectId, now: Date): Promise<{ built: ScreenPop; summary?: ScreenPop; rev?: number }> {
  const customer = await customerDoc(id);
  const call = {
    callId: 'CA-test',
    receivedAt: now,
    caller: { raw: customer.phones[0]?.raw ?? '', e164: customer.phones[0]?.e164 ?? null },
    resolution: { match: 'unique' as const, customers: [customer], customer },
  };
  const [built, stored] = await Promise.all([
    buildScreenPop(db.models, { ...call, now }),
    readSummary(db.models, customer),
  ]);
  return {
    built,
    ...(stored?.facts ? { summary: assemblePop(call, stored.facts, now) } : {}),
    ...(stored ? { rev: stored.rev } : {}),
  };
}

async function revOf(id: Types.ObjectId): Promise<number> {
  return (await db.models.PopSummary.findById(id, { rev: 1 }).lean())?.rev ?? 0;
}

/** Waits until the watcher rewrote `id`'s summary after `before` and it shows what a full build shows. */
async function caughtUp(id: Types.ObjectId, before: number): Promise<ScreenPop> {
  const now = systemClock.now();
  await until(
    async () => {
      const p = await pops(id, now);
      return (p.rev ?? 0) > before && isDeepStrictEqual(p.summary, p.built);
    },
    15_000,
    'pop summary caught up',
  );
  const p = await pops(id, now);
  expect(p.summary).toEqual(p.built);
  return p.built;
}

describe('pop summaries', () => {
  let anna: Types.ObjectId;
  let jan: Types.ObjectId;
  let invoiceId: Types.ObjectId;
  let dunningId: Types.ObjectId;
  let caseId: Types.ObjectId;

  it('backfills every customer, then follows each kind of write', async () => {
    const owner = await db.models.User.findOne({ email: 'agent2@ringside.test' }).lean();
    anna = (
      await addCustomer(db.models, {
        name: 'Anna Kowalska',
        phones: ['601 234 567'],
        labels: ['vip'],
        ...(owner ? { ownerId: owner._id.toString() } : {}),
      })
    )._id;
    jan = (await addCustomer(db.models, { name: 'Jan Nowak', phones: ['22 628 12 34'] }))._id;
    await db.models.Invoice.create({
      customerId: anna,
      number: 'FV/1',
      currency: 'PLN',
      amount: 1200,
      paid: 200,
      issuedAt: ago(40),
      dueAt: ago(26),
      status: 'open',
      paymentReference: 'RS-1',
    });
    expect(await backfillPopSummaries({ models: db.models, clock: systemClock }, { batch: 1 })).toEqual({
      customers: 2,
      written: 2,
    });
    for (const id of [anna, jan]) {
      const p = await pops(id, systemClock.now());
      expect(p.summary).toEqual(p.built);
    }
    watcher = await startPopSummaries({ db, logger, clock: systemClock }, { backfill: false });

    // A new order.
    let before = await revOf(anna);
    await db.models.Order.create({
      customerId: anna,
      number: 'ZO/1',
      placedAt: ago(3),
      currency: 'PLN',
      lines: [{ sku: 'MOW-1', name: 'Lawnmower', quantity: 1, unitPrice: 999.99 }],
      total: 999.99,
      status: 'placed',
    });
    expect((await caughtUp(anna, before)).recentPurchases.map((l) => l.sku)).toEqual(['MOW-1']);

    // An invoice issued.
    before = await revOf(anna);
    invoiceId = (
      await db.models.Invoice.create({
        customerId: anna,
        number: 'FV/2',
        currency: 'PLN',
        amount: 999.99,
        paid: 0,
        issuedAt: ago(1),
        dueAt: new Date(systemClock.now().getTime() + 13 * DAY),
        status: 'open',
        paymentReference: 'RS-2',
      })
    )._id;
    expect((await caughtUp(anna, before)).balance.outstanding).toBe(1999.99);

    // A payment recorded (and applied to its invoice).
    before = await revOf(anna);
    await db.models.Payment.create({
      customerId: anna,
      invoiceId,
      amount: 500,
      currency: 'PLN',
      paidAt: systemClock.now(),
      method: 'transfer',
      reference: 'RS-2',
    });
    await db.models.Invoice.updateOne({ _id: invoiceId }, { $inc: { paid: 500 } });
    expect((await caughtUp(anna, before)).balance.outstanding).toBe(1499.99);

    // A case opened, then closed.
    before = await revOf(anna);
    caseId = (
      await db.models.Case.create({
        customerId: anna,
        number: 'C-1',
        kind: 'service',
        subject: 'Blade broken',
        status: 'open',
        priority: 'high',
        openedAt: ago(0),
      })
    )._id;
    expect((await caughtUp(anna, before)).openCases.map((c) => c.number)).toEqual(['C-1']);
    before = await revOf(anna);
    await db.models.Case.updateOne({ _id: caseId }, { $set: { status: 'closed', closedAt: systemClock.now() } });
    expect((await caughtUp(anna, before)).openCases).toEqual([]);

    // A note.
    before = await revOf(anna);
    await db.models.Interaction.create({
      customerId: anna,
      type: 'note',
      at: systemClock.now(),
      summary: 'Asked for blades',
    });
    expect((await caughtUp(anna, before)).lastInteractions.map((i) => i.summary)).toEqual(['Asked for blades']);

    // Suggestions recomputed.
    before = await revOf(anna);
    await db.models.CustomerSuggestions.updateOne(
      { _id: anna },
      {
        $set: {
          items: [{ sku: 'BLADE-1', name: 'Blades', reason: 'replenishment', score: 0.9 }],
          computedAt: systemClock.now(),
        },
      },
      { upsert: true },
    );
    expect((await caughtUp(anna, before)).suggestions.map((s) => s.sku)).toEqual(['BLADE-1']);

    // A dunning case opened, then advanced.
    before = await revOf(anna);
    const invoice1 = await db.models.Invoice.findOne({ customerId: anna, number: 'FV/1' }).lean();
    dunningId = (
      await db.models.DunningCase.create({
        customerId: anna,
        currency: 'PLN',
        status: 'open',
        stage: 'sms',
        invoiceIds: invoice1 ? [invoice1._id] : [],
        amount: 1000,
        oldestDueAt: ago(26),
        history: [{ at: systemClock.now(), action: 'sms', stage: 'sms' }],
        stepsDone: [],
        callAttempts: [],
        messages: [],
        callRounds: 0,
        openedAt: systemClock.now(),
        caseKey: `${anna.toHexString()}|PLN|1`,
      })
    )._id;
    expect((await caughtUp(anna, before)).dunning?.id).toBe(dunningId.toHexString());
    before = await revOf(anna);
    await db.models.DunningCase.updateOne(
      { _id: dunningId },
      { $set: { stage: 'letter' }, $push: { history: { at: systemClock.now(), action: 'letter', stage: 'letter' } } },
    );
    expect((await caughtUp(anna, before)).dunning).toMatchObject({ stage: 'letter', lastReminder: { type: 'letter' } });

    // The customer patched (through Mongoose, as the service does: `updatedAt` moves).
    before = await revOf(jan);
    await db.models.Customer.updateOne({ _id: jan }, { $set: { name: 'Jan Nowak-Kowalski', labels: ['b2b'] } });
    expect((await caughtUp(jan, before)).customer).toMatchObject({ name: 'Jan Nowak-Kowalski', labels: ['b2b'] });

    // A new customer gets one without anybody asking.
    const ewa = (await addCustomer(db.models, { name: 'Ewa Nowak', phones: ['601 999 999'] }))._id;
    await caughtUp(ewa, 0);
  });

  it('resumes after a restart in the middle of the stream: nothing written meanwhile is lost', async () => {
    // Written just before the stop: seen by this watcher or, unacknowledged, by the next one.
    await db.models.Case.create({
      customerId: jan,
      number: 'C-2',
      kind: 'service',
      subject: 'Hose leaks',
      status: 'open',
      priority: 'normal',
      openedAt: systemClock.now(),
    });
    await watcher?.stop();
    watcher = undefined;
    const state = await db.models.PopSummaryState.findById('watcher').lean();
    expect(state?.token).toBeTruthy();
    expect(state?.stoppedAt).toBeInstanceOf(Date);
    const [annaBefore, janBefore] = [await revOf(anna), await revOf(jan)];
    // Written while no watcher runs.
    await db.models.Order.create({
      customerId: jan,
      number: 'ZO/2',
      placedAt: ago(0),
      currency: 'PLN',
      lines: [{ sku: 'HOSE-1', name: 'Garden hose', quantity: 2, unitPrice: 19.5 }],
      total: 39,
      status: 'placed',
    });
    await db.models.DunningCase.updateOne({ _id: dunningId }, { $set: { status: 'paused', pausedReason: 'promise' } });
    await db.models.Interaction.create({
      customerId: anna,
      type: 'call',
      at: systemClock.now(),
      summary: 'Promised to pay',
    });
    // Nothing rebuilt them meanwhile.
    expect([await revOf(anna), await revOf(jan)]).toEqual([annaBefore, janBefore]);

    watcher = await startPopSummaries({ db, logger, clock: systemClock }, { backfill: false });
    const janPop = await caughtUp(jan, janBefore);
    expect(janPop.recentPurchases.map((l) => l.sku)).toEqual(['HOSE-1']);
    expect(janPop.openCases.map((c) => c.number)).toEqual(['C-2']);
    const annaPop = await caughtUp(anna, annaBefore);
    expect(annaPop.dunning).toMatchObject({ status: 'paused', pausedReason: 'promise' });
    expect(annaPop.lastInteractions[0]?.summary).toBe('Promised to pay');
    await until(async () => !(await db.models.PopSummaryState.findById('watcher').lean())?.stoppedAt, 15_000, 'beat');

    // The case closes (a dunning case's part only is re-read): the summary no longer shows one.
    const beforeClose = await revOf(anna);
    await db.models.DunningCase.updateOne({ _id: dunningId }, { $set: { status: 'closed' } });
    expect((await caughtUp(anna, beforeClose)).dunning).toBeUndefined();
  });

  it('keeps beating under writes that never stop (calls trust summaries only while it beats)', async () => {
    // An interaction every 20 ms for 4 s: the server always has another change for the watcher.
    const beats = new Set<number>();
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      await db.models.Interaction.create({ customerId: anna, type: 'note', at: systemClock.now(), summary: 'note' });
      const state = await db.models.PopSummaryState.findById('watcher', { at: 1 }).lean();
      if (state) beats.add(state.at.getTime());
      await new Promise((r) => setTimeout(r, 20));
    }
    // A beat at least every second or so while the writes went on (not one at the end).
    expect(beats.size).toBeGreaterThanOrEqual(3);
    const last = await db.models.PopSummaryState.findById('watcher', { at: 1 }).lean();
    expect(systemClock.now().getTime() - (last?.at.getTime() ?? 0)).toBeLessThan(WATCHER_LIVE_MS);
  }, 20_000);

  it('stores its position on stop: the next watcher does not rebuild what this one did', async () => {
    // The position is stored at most once a second while it runs; a change rebuilt just before the
    // stop is stored by the stop itself.
    const before = await revOf(jan);
    await db.models.Interaction.create({ customerId: jan, type: 'note', at: systemClock.now(), summary: 'last' });
    await caughtUp(jan, before);
    await watcher?.stop();
    watcher = await startPopSummaries({ db, logger, clock: systemClock }, { backfill: false });
    const resumed = await revOf(jan);
    await until(async () => !(await db.models.PopSummaryState.findById('watcher').lean())?.stoppedAt, 15_000, 'beat');
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.rebuilt).toBe(0);
    expect(await revOf(jan)).toBe(resumed);
  });

  it('behind a burst larger than a round, says up to when its summaries hold every change', async () => {
    // One customer per round, each round held 300 ms (as the call path's pacing may hold it):
    // eight new customers keep it behind for seconds. It used to fall silent until caught up, and
    // every call meanwhile fell back to the full build.
    await watcher?.stop();
    watcher = await startPopSummaries(
      { db, logger, clock: systemClock },
      { backfill: false, maxPending: 1, upkeepPace: () => new Promise((r) => setTimeout(r, 300)) },
    );
    await until(async () => !(await db.models.PopSummaryState.findById('watcher').lean())?.stoppedAt, 15_000, 'beat');
    const rebuiltBefore = watcher.rebuilt;
    const burstAt = systemClock.now();
    const ids: Types.ObjectId[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await addCustomer(db.models, { name: `Burst ${i}`, phones: [`22 600 00 0${i}`] }))._id);
    const behind: { at: Date; readAt: Date }[] = [];
    while (watcher.rebuilt - rebuiltBefore < ids.length - 1) {
      const state = await db.models.PopSummaryState.findById('watcher', { at: 1 }).lean();
      const readAt = systemClock.now();
      if (state && state.at >= burstAt && watcher.rebuilt - rebuiltBefore < ids.length - 1)
        behind.push({ at: state.at, readAt });
      await new Promise((r) => setTimeout(r, 50));
    }
    // Beats while behind, each no later than the changes it holds.
    expect(behind.length).toBeGreaterThan(0);
    for (const b of behind) expect(b.at.getTime()).toBeLessThan(b.readAt.getTime());
    for (const id of ids) await caughtUp(id, 0);
  }, 30_000);
});
