import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsteriskProvider } from '@ringside/telephony';
import { startAriServer, type AriServer } from '@ringside/telephony/testing';
import { systemClock } from '../clock';
import { addCustomer, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

const ARI = { username: 'ringside', password: 'ari-test-password', app: 'ringside' };
let ari: AriServer;
let asterisk: AsteriskProvider;
let h: CallsHarness;
let agent: TestAgent;

beforeAll(async () => {
  ari = await startAriServer({ username: ARI.username, password: ARI.password, app: ARI.app });
  asterisk = new AsteriskProvider({ url: ari.url, ...ARI, clock: systemClock });
  h = await startCallsHarness({}, { providers: { asterisk } });
  await asterisk.start();
  agent = await h.agent('agent1@ringside.test');
  await addCustomer(h.models, { name: 'Zofia Lewandowska', phones: ['+48 603 111 222'] });
  expect((await agent.setState('available')).ok).toBe(true);
});

afterAll(async () => {
  await asterisk.close();
  await h.stop();
  await ari.close();
});

const ops = () => ari.commands.map((c) => c.operation);

describe('inbound Asterisk call → screen pop', () => {
  it('StasisStart pops the caller; the caller waits in a holding bridge with music', async () => {
    const channelId = ari.simulateIncomingCall({
      callerNumber: '603111222',
      callerName: 'Z LEWANDOWSKA',
      exten: '100',
    });
    await until(() => agent.pops.some((p) => p.callId === channelId), 3000, 'pop');
    expect(agent.pops.find((p) => p.callId === channelId)).toMatchObject({
      match: 'unique',
      caller: { raw: '603111222', e164: '+48603111222' },
      customer: { name: 'Zofia Lewandowska' },
    });
    await until(() => ops().includes('bridges.startMoh'), 3000, 'music on hold');
    expect(ops()).toEqual(
      expect.arrayContaining(['channels.answer', 'bridges.create', 'bridges.addChannel', 'bridges.startMoh']),
    );
    const holding = [...ari.bridges.values()].find((b) => b.channels.includes(channelId));
    expect(holding?.bridgeType).toBe('holding');

    // Accept: the agent's endpoint is originated into the app; both end up in a mixing bridge.
    expect(await agent.emit('call:accept', { callId: channelId })).toEqual({ ok: true });
    const originate = ari.commands.find(
      (c) => c.operation === 'channels.originate' || c.operation === 'channels.originateWithId',
    );
    expect(originate?.params).toMatchObject({ endpoint: 'Local/1001@agents', app: 'ringside' });
    const mixing = [...ari.bridges.values()].find((b) => b.bridgeType === 'mixing' && b.channels.includes(channelId));
    expect(mixing?.channels).toHaveLength(2);
    expect(await h.models.Call.findById(channelId, { state: 1 }).lean()).toMatchObject({ state: 'connected' });

    // The caller hangs up: the call ends for the agent, who wraps up.
    ari.hangup(channelId);
    await until(() => agent.ended.includes(channelId), 3000, 'call:ended');
    expect(await h.models.Call.findById(channelId, { state: 1 }).lean()).toMatchObject({ state: 'wrap_up' });
    expect(
      await agent.emit('call:wrapup', { callId: channelId, disposition: 'resolved', note: 'Changed address' }),
    ).toEqual({ ok: true });
    expect((await h.models.Interaction.findOne({ callId: channelId }).lean())?.summary).toBe(
      'Inbound call: Changed address',
    );
  });

  it('a busy agent phone leaves the call offered and says why', async () => {
    ari.setEndpointBehaviour('Local/1001@agents', 'busy');
    const channelId = ari.simulateIncomingCall({ callerNumber: '+48500000099' });
    await until(() => agent.pops.some((p) => p.callId === channelId), 3000, 'pop');
    const answer = await agent.emit('call:accept', { callId: channelId });
    expect(answer).toMatchObject({ ok: false, code: 'unavailable' });
    expect(await h.models.Call.findById(channelId, { state: 1 }).lean()).toMatchObject({ state: 'offered' });
    ari.setEndpointBehaviour('Local/1001@agents', 'answer');
    ari.hangup(channelId);
    await until(() => agent.ended.includes(channelId), 3000, 'ended');
    expect(await h.models.Call.findById(channelId, { state: 1 }).lean()).toMatchObject({ state: 'abandoned' });
  });

  it('reconnects by itself and does not forget calls in progress', async () => {
    await until(
      async () => (await h.models.User.findById(agent.id).lean())?.state.status === 'available',
      3000,
      'agent free',
    );
    const waiting = ari.simulateIncomingCall({ callerNumber: '+48500000098' });
    await until(() => agent.pops.some((p) => p.callId === waiting), 3000, 'pop before the drop');
    ari.dropConnections();
    // The caller hangs up while the WebSocket is down: the event is lost, the reconnect finds out.
    ari.hangup(waiting);
    await ari.waitForApp(ARI.app);
    await until(() => agent.ended.includes(waiting), 5000, 'ended after reconnect');
    expect(await h.models.Call.findById(waiting, { state: 1, endReason: 1 }).lean()).toMatchObject({
      state: 'abandoned',
      endReason: 'ended while ARI was disconnected',
    });

    const after = ari.simulateIncomingCall({ callerNumber: '+48 603 111 222' });
    await until(() => agent.pops.some((p) => p.callId === after), 3000, 'pop after reconnect');
    ari.hangup(after);
    await until(() => agent.ended.includes(after), 3000, 'ended');
  });

  it('refuses wrong ARI credentials with a clear error instead of crashing', async () => {
    const wrong = new AsteriskProvider({
      url: ari.url,
      username: 'ringside',
      password: 'wrong',
      app: 'other',
      clock: systemClock,
    });
    await expect(wrong.start()).rejects.toThrow(/ARI refused the username or password/);
  });
});
