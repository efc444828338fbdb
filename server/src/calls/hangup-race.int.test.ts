import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCustomer, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

// The caller hangs up while the agent's accept is still asking Twilio to connect: whichever write
// lands first, the call ends in wrap-up and the agent is told. Before, a hang-up that read the call
// "connecting" and then found it "connected" (the accept's write in between) gave up: the call
// stayed connected and the agent never heard of the end (found by `npm run test:faults`).
let h: CallsHarness;
let agent: TestAgent;

beforeAll(async () => {
  h = await startCallsHarness();
  agent = await h.agent('agent1@ringside.test');
  await addCustomer(h.models, { name: 'Zofia Wrona', phones: ['601 777 888'], ownerId: agent.id });
  expect((await agent.setState('available')).ok).toBe(true);
});

afterAll(async () => {
  await h.stop();
});

describe('a hang-up racing the accept', () => {
  it('ends every call in wrap-up with call:ended at the agent, however the writes interleave', async () => {
    const outcomes: string[] = [];
    // Twilio's answer to the connect comes 0–12 ms after the hang-up was sent: the hang-up's reads
    // and writes fall before, around and after the accept's own write.
    for (let i = 0; i < 39; i++) {
      h.twilio.latency(i % 13);
      const { callSid, status } = await h.incoming('601 777 888');
      expect(status).toBe(200);
      await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
      const connectAsked = h.twilio.waitFor((r) => r.path.endsWith(`/Calls/${callSid}.json`) && r.method === 'POST');
      const hangUp = connectAsked.then(() => h.status(callSid, 'completed', { CallDuration: '1' }));
      const accepted = await agent.emit('call:accept', { callId: callSid });
      expect(await hangUp).toBe(204);
      await until(
        async () => {
          const call = await h.models.Call.findById(callSid, { state: 1 }).lean();
          return call?.state === 'wrap_up' || (!accepted.ok && call?.state === 'abandoned');
        },
        3000,
        `call ${i} ended`,
      ).catch(() => undefined);
      const call = await h.models.Call.findById(callSid, { state: 1 }).lean();
      outcomes.push(`${call?.state}${agent.ended.includes(callSid) ? '' : ' (agent not told)'}`);
      if (call?.state === 'wrap_up') {
        await until(() => agent.ended.includes(callSid), 3000, 'call:ended').catch(() => undefined);
        expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
      } else if (call?.state === 'connected') {
        // Left behind: free the agent for the next round so that every round is tried.
        await h.models.Call.updateOne({ _id: callSid }, { $set: { state: 'ended' } });
        await h.models.User.updateOne({ _id: agent.id }, { $set: { 'state.status': 'offline' } });
      }
      if (!(await agent.setState('available')).ok) await agent.setState('available');
    }
    h.twilio.latency(0);
    expect(outcomes.filter((o) => o !== 'wrap_up' && o !== 'abandoned')).toEqual([]);
  });

  it('tells a console that was away when the caller hung up: the end is replayed when it reconnects', async () => {
    const { callSid } = await h.incoming('601 777 888');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    const heard: Array<{ kind: string; wrapUp?: boolean }> = [];
    agent.socket.on('call:ended', (e) => e.callId === callSid && heard.push(e));
    agent.socket.disconnect(); // the page reloads, or the network drops
    expect(await h.status(callSid, 'completed', { CallDuration: '4' })).toBe(204);
    await until(async () => (await h.models.Call.findById(callSid, { state: 1 }).lean())?.state === 'wrap_up');
    expect(heard).toEqual([]);
    await new Promise<void>((resolve) => {
      agent.socket.once('connect', () => resolve());
      agent.socket.connect();
    });
    await until(() => heard.length > 0, 3000, 'call:ended replayed');
    expect(heard[0]).toMatchObject({ kind: 'hangup', wrapUp: true });
    expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
  });

  it('wraps up a call whose ending was cut short: the agent still on it follows the call and becomes available', async () => {
    const { callSid } = await h.incoming('601 777 888');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    await until(async () => (await h.models.User.findById(agent.id, { state: 1 }).lean())?.state.status === 'on_call');
    // The process that ended the call was killed after it wrote the call and before it moved the agent.
    await h.models.Call.updateOne({ _id: callSid }, { $set: { state: 'wrap_up', endedAt: new Date() } });
    expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
    const after = await h.models.User.findById(agent.id, { state: 1 }).lean();
    expect(after?.state.status).toBe('available');
    expect((await h.models.Call.findById(callSid, { state: 1 }).lean())?.state).toBe('ended');
  });

  it('frees an agent left in a call that is over already when the wrap-up comes again', async () => {
    const { callSid } = await h.incoming('601 777 888');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    expect(await h.status(callSid, 'completed', { CallDuration: '2' })).toBe(204);
    await until(async () => (await h.models.Call.findById(callSid, { state: 1 }).lean())?.state === 'wrap_up');
    // Ended by a process stopped before it moved the agent on: the call is over, the agent is not.
    await h.models.Call.updateOne({ _id: callSid }, { $set: { state: 'ended' } });
    await h.models.User.updateOne({ _id: agent.id }, { $set: { 'state.status': 'wrap_up', 'state.callId': callSid } });
    expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
    expect((await h.models.User.findById(agent.id, { state: 1 }).lean())?.state.status).toBe('available');
    // Once free, a wrap-up of it again is refused as before.
    expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toMatchObject({ ok: false });
  });

  it('puts back in line a call whose accept was cut short (its process killed while connecting)', async () => {
    const { callSid } = await h.incoming('601 777 888');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    // Accepted by a process that died asking the provider to ring the agent: connecting, and nobody left to finish it.
    await h.models.Call.updateOne(
      { _id: callSid },
      { $set: { state: 'connecting', acceptedAt: new Date(Date.now() - 60_000), 'offers.0.outcome': 'accepted' } },
    );
    // The accept timeout (4 s here) finds it still connecting: it is offered again, to the same agent (who did nothing wrong).
    await until(
      async () => ((await h.models.Call.findById(callSid).lean())?.offers.length ?? 0) === 2,
      8000,
      'offered again',
    );
    const call = await h.models.Call.findById(callSid).lean();
    expect(call?.state).toBe('offered');
    expect(call?.passedBy).toEqual([]);
    expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    expect(await h.status(callSid, 'completed', { CallDuration: '3' })).toBe(204);
    await until(async () => (await h.models.Call.findById(callSid, { state: 1 }).lean())?.state === 'wrap_up');
    expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
  });

  it('ends an offered call once when its hang-up is reported several times at once: abandoned, counted once, the agent free', async () => {
    const { callSid } = await h.incoming('601 777 888');
    await until(() => agent.pops.some((p) => p.callId === callSid), 3000, 'pop');
    const queue = (await h.models.Call.findById(callSid, { queue: 1 }).lean())?.queue ?? '';
    const abandoned = async () =>
      (await h.models.QueueDayStats.find({ queue }).lean()).reduce((n, d) => n + (d.abandoned ?? 0), 0);
    const before = await abandoned();
    const answers = await Promise.all([
      h.status(callSid, 'canceled'),
      h.status(callSid, 'canceled'),
      h.status(callSid, 'no-answer'),
    ]);
    expect(answers).toEqual([204, 204, 204]);
    const call = await h.models.Call.findById(callSid).lean();
    expect(call).toMatchObject({ state: 'abandoned', providerRank: 3, providerStatus: 'call.ended' });
    expect(call?.pop).toBeDefined(); // the one write leaves the pop as it was
    await until(() => agent.ended.includes(callSid), 3000, 'call:ended');
    expect(agent.ended.filter((id) => id === callSid)).toHaveLength(1);
    expect(await abandoned()).toBe(before + 1);
    expect((await h.models.User.findById(agent.id, { state: 1 }).lean())?.state.status).toBe('available');
    expect((await h.models.Interaction.findOne({ callId: callSid }).lean())?.summary).toMatch(/^Missed inbound call/);
  });
});
