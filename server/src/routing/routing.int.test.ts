import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../auth/auth.service';
import { startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

let h: CallsHarness;
const agents: TestAgent[] = [];

beforeAll(async () => {
  h = await startCallsHarness({ OFFER_ACK_TIMEOUT_MS: '5000', OFFER_ACCEPT_TIMEOUT_MS: '60000' });
  const passwordHash = await hashPassword('ringside');
  await h.models.User.insertMany(
    [6, 7, 8, 9, 10].map((n) => ({
      email: `agent${n}@ringside.test`,
      name: `Agent ${n}`,
      passwordHash,
      roles: ['agent'],
      skills: ['support'],
      endpoints: { twilio: `client:agent${n}` },
      state: { status: 'offline', since: new Date() },
    })),
  );
  for (let n = 1; n <= 10; n++) agents.push(await h.agent(`agent${n}@ringside.test`));
  for (const a of agents) expect((await a.setState('available')).ok).toBe(true);
});

afterAll(async () => {
  await h.stop();
});

it('50 simultaneous calls with 10 agents: nobody holds two calls, the rest wait and are served in arrival order', async () => {
  const numbers = Array.from({ length: 50 }, (_, i) => `+48 500 100 ${String(i).padStart(3, '0')}`);
  const results = await Promise.all(numbers.map((n) => h.incoming(n)));
  expect(results.every((r) => r.status === 200)).toBe(true);

  await until(async () => (await h.models.Call.countDocuments({ state: 'offered' })) === 10, 10_000, '10 offers');
  const offered = await h.models.Call.find({ state: 'offered' }).lean();
  const holders = offered.map((c) => c.agentId?.toString());
  expect(new Set(holders).size).toBe(10);
  const reserved = await h.models.User.find({ roles: 'agent', 'state.status': 'reserved' }).lean();
  expect(reserved).toHaveLength(10);
  expect(new Set(reserved.map((u) => u.state.callId)).size).toBe(10);
  for (const a of agents) expect(new Set(a.offers).size).toBe(1);
  expect(await h.models.Call.countDocuments({ state: 'queued' })).toBe(40);

  // The waiting line, as recorded on arrival.
  const line = (await h.models.Call.find({ state: 'queued' }).sort({ receivedAt: 1, seq: 1 }).lean()).map((c) => c._id);
  // The 10 offered calls all arrived before every waiting one.
  const firstWaiting = await h.models.Call.findById(line[0]).lean();
  for (const c of offered) {
    const before =
      c.receivedAt < firstWaiting!.receivedAt ||
      (c.receivedAt.getTime() === firstWaiting!.receivedAt.getTime() && c.seq < firstWaiting!.seq);
    expect(before).toBe(true);
  }

  // Agents finish calls one at a time; each freed agent gets the oldest waiting call.
  const served: string[] = [];
  for (let i = 0; i < 15; i++) {
    const call = await h.models.Call.findOne({ state: 'offered' }).sort({ offeredAt: 1 }).lean();
    const agent = agents.find((a) => a.id === call!.agentId!.toString())!;
    expect(await agent.emit('call:accept', { callId: call!._id })).toEqual({ ok: true });
    expect(await h.status(call!._id, 'completed')).toBe(204);
    await until(() => agent.ended.includes(call!._id), 3000, 'ended');
    const offersBefore = agent.offers.length;
    expect(await agent.emit('call:wrapup', { callId: call!._id, disposition: 'resolved' })).toEqual({ ok: true });
    await until(() => agent.offers.length === offersBefore + 1, 3000, 'next offer');
    served.push(agent.offers.at(-1)!);
    const mine = await h.models.Call.countDocuments({
      agentId: agent.id,
      state: { $in: ['offered', 'connecting', 'connected', 'wrap_up'] },
    });
    expect(mine).toBe(1);
  }
  expect(served).toEqual(line.slice(0, 15));

  // A caller who gives up leaves the line without an agent ever seeing it.
  const giveUp = line[20]!;
  expect(await h.status(giveUp, 'canceled')).toBe(204);
  await until(async () => (await h.models.Call.findById(giveUp).lean())?.state === 'abandoned', 3000, 'abandoned');
  expect(agents.some((a) => a.offers.includes(giveUp))).toBe(false);
});
