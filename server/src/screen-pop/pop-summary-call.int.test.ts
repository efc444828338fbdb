import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Types } from 'mongoose';
import { createLogger } from '../logger';
import { systemClock } from '../clock';
import { addCustomer, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';
import type { CustomerDoc } from '../calls/caller-resolution';
import { buildScreenPop } from './screen-pop.service';
import { readSummary } from './summary-store';
import { startPopSummaries, type PopSummaries } from './summaries';

const DAY = 86_400_000;
let h: CallsHarness;
let agent: TestAgent;
let watcher: PopSummaries;

beforeAll(async () => {
  h = await startCallsHarness();
  watcher = await startPopSummaries({ db: h.server.db, logger: createLogger('silent'), clock: systemClock });
  agent = await h.agent('agent1@ringside.test');
  expect((await agent.setState('available')).ok).toBe(true);
});

afterAll(async () => {
  await watcher.stop();
  await h.stop();
});

/** How many pops went through a stage in this server. */
async function stageCount(stage: string): Promise<number> {
  const metric = await h.server.app.metrics.popStage.get();
  return (
    metric.values.find((v) => v.metricName === 'ringside_pop_stage_seconds_count' && v.labels.stage === stage)?.value ??
    0
  );
}

async function customerDoc(id: Types.ObjectId): Promise<CustomerDoc> {
  const c = await h.models.Customer.findById(id, { nameKeys: 0 }).lean<CustomerDoc>();
  if (!c) throw new Error('no such customer');
  return c;
}

/** Takes and ends a call so the agent is free for the next one. */
async function finish(callSid: string) {
  expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
  expect(await h.status(callSid, 'completed', { CallDuration: '5' })).toBe(204);
  await until(() => agent.ended.includes(callSid), 3000, 'call:ended');
  expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
}

describe('a call and the pop summary', () => {
  it('pops from the summary (one read by id), the same pop as a full build', async () => {
    const piotr = await addCustomer(h.models, { name: 'Piotr Zieliński', phones: ['601 555 111'] });
    await h.models.Invoice.create({
      customerId: piotr._id,
      number: 'FV/9',
      currency: 'PLN',
      amount: 300,
      paid: 0,
      issuedAt: new Date(systemClock.now().getTime() - 20 * DAY),
      dueAt: new Date(systemClock.now().getTime() - 6 * DAY),
      status: 'open',
      paymentReference: 'RS-9',
    });
    // The watcher writes it (the customer and the invoice are changes it sees).
    await until(
      async () => (await readSummary(h.models, await customerDoc(piotr._id)))?.facts?.part.outstanding === 300,
      15_000,
      'summary written',
    );
    // …and says it is caught up.
    await until(
      async () => ((await h.models.PopSummaryState.findById('watcher').lean())?.at.getTime() ?? 0) > 0,
      15_000,
      'beat',
    );
    const [summaryReads, builds] = [await stageCount('popsummary'), await stageCount('popbuild')];

    // What a full build shows now (before the call adds its own entry to the history).
    const customer = await customerDoc(piotr._id);
    const built = await buildScreenPop(h.models, {
      callId: '',
      receivedAt: systemClock.now(),
      caller: { raw: '+48 601 555 111', e164: '+48601555111' },
      resolution: { match: 'unique', customers: [customer], customer },
      now: systemClock.now(),
    });

    const { callSid } = await h.incoming('+48 601 555 111');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    const pop = agent.pops.find((p) => p.callId === callSid);
    expect(await stageCount('popsummary')).toBe(summaryReads + 1);
    expect(await stageCount('popbuild')).toBe(builds); // no full build
    expect(pop).toEqual({ ...built, callId: callSid, receivedAt: pop?.receivedAt });
    expect(pop).toMatchObject({ balance: { outstanding: 300, overdue: 300, oldestOverdueDays: 6 } });
    await finish(callSid);
  });

  it('builds in full when the summary is missing, and writes it for the next call', async () => {
    const marta = await addCustomer(h.models, { name: 'Marta Wiśniewska', phones: ['601 555 222'] });
    await until(async () => (await h.models.PopSummary.exists({ _id: marta._id })) !== null, 15_000, 'summary');
    await h.models.PopSummary.deleteOne({ _id: marta._id }); // as if the backfill had not reached her
    const builds = await stageCount('popbuild');
    const { callSid } = await h.incoming('+48 601 555 222');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    expect(await stageCount('popbuild')).toBe(builds + 1);
    await until(async () => (await h.models.PopSummary.exists({ _id: marta._id })) !== null, 15_000, 'written back');
    await finish(callSid);

    // A customer document newer than the summary: built in full too.
    await until(
      async () => {
        const s = await readSummary(h.models, await customerDoc(marta._id));
        return s?.facts !== undefined;
      },
      15_000,
      'usable summary',
    );
    await h.models.PopSummary.updateOne({ _id: marta._id }, { $set: { customerUpdatedAt: new Date(0) } });
    const before = await stageCount('popbuild');
    const second = await h.incoming('+48 601 555 222');
    await until(() => agent.pops.some((p) => p.callId === second.callSid), 3000, 'pop');
    expect(await stageCount('popbuild')).toBe(before + 1);
    const pop = agent.pops.find((p) => p.callId === second.callSid);
    const customer = await customerDoc(marta._id);
    expect(
      isDeepStrictEqual(
        { ...pop, lastInteractions: [] },
        {
          ...(await buildScreenPop(h.models, {
            callId: second.callSid,
            receivedAt: new Date(pop?.receivedAt ?? 0),
            caller: { raw: '+48 601 555 222', e164: '+48601555222' },
            resolution: { match: 'unique', customers: [customer], customer },
            now: systemClock.now(),
          })),
          lastInteractions: [],
        },
      ),
    ).toBe(true);
    await finish(second.callSid);
  });
});
