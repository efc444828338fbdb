import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { Call } from '../db/schemas/call.model';
import { addCustomer, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

// An offer's deadlines are timers in the memory of the process that made it. When that process is
// killed right after offering (or while carrying out an accept), nobody moved the call on and the
// caller waited until they hung up (found by `npm run test:faults`). Any process now sweeps offers
// whose deadline passed a while ago and moves them on; the agent stays available.
let h: CallsHarness;
let agent: TestAgent;
let template: Call;

beforeAll(async () => {
  h = await startCallsHarness({ OFFER_SWEEP_EVERY_MS: '500' });
  agent = await h.agent('agent1@ringside.test');
  await addCustomer(h.models, { name: 'Zofia Wrona', phones: ['601 777 888'], ownerId: agent.id });
  expect((await agent.setState('available')).ok).toBe(true);
  // A real call's record, as the gone process would have stored it.
  const { callSid } = await h.incoming('601 777 888');
  await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
  expect(await h.status(callSid, 'canceled')).toBe(204);
  await until(async () => (await h.models.Call.findById(callSid, { state: 1 }).lean())?.state === 'abandoned');
  const call = await h.models.Call.findById(callSid).lean<Call>();
  if (!call) throw new Error('no call');
  template = call;
  await until(async () => (await h.models.User.findById(agent.id).lean())?.state.status === 'available');
});

afterAll(async () => {
  await h.stop();
});

/** A call left by a process that is gone: its timers went with it. */
async function leftBehind(callId: string, state: 'offered' | 'connecting', ageMs: number): Promise<void> {
  const at = new Date(Date.now() - ageMs);
  const agentId = new Types.ObjectId(agent.id);
  const { offerAckedAt: _acked, endedAt: _ended, endReason: _reason, ...rest } = template;
  await h.models.Call.create({
    ...rest,
    _id: callId,
    pop: { ...rest.pop, callId, receivedAt: at.toISOString() },
    interactionId: new Types.ObjectId(),
    state,
    agentId,
    receivedAt: at,
    offeredAt: at,
    providerStatus: 'ringing',
    providerRank: 0,
    offers: [{ agentId, at, reason: 'owner' }],
    ...(state === 'connecting' ? { offerAckedAt: at, acceptedAt: at } : {}),
  });
  await h.models.User.updateOne(
    { _id: agentId },
    { $set: { 'state.status': 'reserved', 'state.callId': callId, 'state.since': at } },
  );
}

describe('offers whose process went', () => {
  it('moves an offer nobody acknowledged on: offered again, the agent never set away', async () => {
    await leftBehind('CAa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 'offered', 10_000);
    await until(() => agent.pops.some((p) => p.callId === 'CAa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'), 5000, 'offered again');
    const call = await h.models.Call.findById('CAa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1').lean();
    expect(call?.state).toBe('offered');
    expect(call?.offers.map((o) => o.outcome ?? 'open')).toEqual(['not acknowledged', 'open']);
    expect(call?.passedBy).toEqual([]); // the agent may be offered it again: the silence was not theirs
    const user = await h.models.User.findById(agent.id).lean();
    expect(user?.state).toMatchObject({ status: 'reserved', callId: 'CAa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1' });
    expect(await h.status('CAa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', 'canceled')).toBe(204);
    await until(async () => (await h.models.User.findById(agent.id).lean())?.state.status === 'available');
  });

  it('puts a call whose accept was never carried out back in line', async () => {
    await leftBehind('CAb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 'connecting', 15_000);
    await until(() => agent.pops.some((p) => p.callId === 'CAb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2'), 5000, 'offered again');
    const call = await h.models.Call.findById('CAb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2').lean();
    expect(call?.state).toBe('offered');
    expect(call?.offers[0]?.outcome).toBe('not accepted');
    expect(await h.status('CAb2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 'canceled')).toBe(204);
  });

  it('leaves offers alone while their deadline has not long passed', async () => {
    await until(async () => (await h.models.User.findById(agent.id).lean())?.state.status === 'available');
    // Offered a second ago by a process that is still there (its timers will act, not the sweep).
    await leftBehind('CAc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3', 'offered', 1000);
    await new Promise((r) => setTimeout(r, 1500));
    const call = await h.models.Call.findById('CAc3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3').lean();
    expect(call?.state).toBe('offered');
    expect(call?.offers).toHaveLength(1);
  });
});
