import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { newCallSid, signTwilioRequest } from '@ringside/telephony/testing';
import {
  addCustomer,
  sleep,
  startCallsHarness,
  TWILIO,
  until,
  type CallsHarness,
  type TestAgent,
} from '../testing/calls-harness';

const METRICS_TOKEN = `metrics-${Math.random().toString(36).slice(2)}-scraper`;

let h: CallsHarness;
let agent1: TestAgent;
let agent2: TestAgent;
let annaId: string;

beforeAll(async () => {
  h = await startCallsHarness({ METRICS_TOKEN });
  agent1 = await h.agent('agent1@ringside.test');
  agent2 = await h.agent('agent2@ringside.test');
  const anna = await addCustomer(h.models, {
    name: 'Anna Kowalska',
    phones: ['601 234 567'],
    ownerId: agent2.id,
    labels: ['vip'],
  });
  annaId = anna._id.toString();
  await h.models.Invoice.create({
    customerId: anna._id,
    number: 'FV/2026/0001',
    currency: 'PLN',
    amount: 1200,
    paid: 200,
    issuedAt: new Date(Date.now() - 40 * 86_400_000),
    dueAt: new Date(Date.now() - 26 * 86_400_000),
    status: 'open',
    paymentReference: 'RS-0001',
  });
  await addCustomer(h.models, { name: 'Jan Nowak', phones: ['22 628 12 34'] });
  await addCustomer(h.models, { name: 'Ewa Nowak', phones: ['+48 22 628 12 34'] });
  expect((await agent1.setState('available')).ok).toBe(true);
  expect((await agent2.setState('available')).ok).toBe(true);
});

afterAll(async () => {
  await h.stop();
});

/** Finishes a call the way it goes in life: the caller hangs up, the agent wraps up. */
async function finish(agent: TestAgent, callSid: string) {
  expect(await h.status(callSid, 'completed', { CallDuration: '5' })).toBe(204);
  await until(() => agent.ended.includes(callSid), 3000, 'call:ended');
  expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
}

describe('inbound Twilio call → screen pop', () => {
  it('pops the customer on the owner agent only, before answering with hold TwiML', async () => {
    const { callSid, status, body } = await h.incoming('0048 601-234-567');
    expect(status).toBe(200);
    // Music on hold, then Twilio asks again what the waiting caller should hear.
    expect(body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Play>https?:\/\/.+<\/Play><Redirect method="POST">https:\/\/ringside\.example\.com\/telephony\/twilio\/wait<\/Redirect><\/Response>$/,
    );
    // The pop was emitted before the webhook answered: it is there (or on the wire) already.
    await until(() => agent2.pops.some((p) => p.callId === callSid), 2000, 'pop at agent2');
    const pop = agent2.pops.find((p) => p.callId === callSid);
    expect(pop).toMatchObject({
      match: 'unique',
      caller: { raw: '0048 601-234-567', e164: '+48601234567' },
      customer: { id: annaId, name: 'Anna Kowalska', labels: ['vip'], owner: { id: agent2.id, name: 'Agent 2' } },
      balance: { currency: 'PLN', outstanding: 1000, overdue: 1000, oldestOverdueDays: 26 },
      creditTerms: { limit: 5000, paymentTermsDays: 14, available: 4000 },
    });
    await sleep(200);
    expect(agent1.pops.map((p) => p.callId)).not.toContain(callSid);
    const call = await h.models.Call.findById(callSid).lean();
    expect(call).toMatchObject({ state: 'offered', routingReason: 'account owner' });
    expect(call?.agentId?.toString()).toBe(agent2.id);

    // The same pop again over HTTP.
    const token = (await (
      await fetch(`${h.server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'agent2@ringside.test', password: 'ringside' }),
      })
    ).json()) as { token: string };
    const again = await fetch(`${h.server.url}/api/customers/${annaId}/screen-pop?callId=${callSid}`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(await again.json()).toEqual(pop);

    // Accept → Twilio is told to dial the agent's client.
    expect(await agent2.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    const update = await h.twilio.waitFor((r) => r.path.endsWith(`/Calls/${callSid}.json`));
    expect(update.params.Twiml).toMatch(/<Dial answerOnBridge="true"><Client>agent2<\/Client><\/Dial>/);
    expect(await h.models.Call.findById(callSid, { state: 1 }).lean()).toMatchObject({ state: 'connected' });
    expect(await agent2.emit('call:accept', { callId: callSid })).toMatchObject({ ok: false, code: 'conflict' });

    // Status callbacks: duplicate and out of order never move the call backwards.
    expect(await h.status(callSid, 'in-progress')).toBe(204);
    expect(await h.status(callSid, 'completed', { CallDuration: '42' })).toBe(204);
    expect(await h.status(callSid, 'completed', { CallDuration: '42' })).toBe(204);
    expect(await h.status(callSid, 'ringing')).toBe(204);
    await until(() => agent2.ended.includes(callSid), 2000, 'call:ended');
    await sleep(100);
    expect(agent2.ended.filter((id) => id === callSid)).toHaveLength(1);
    const ended = await h.models.Call.findById(callSid).lean();
    expect(ended).toMatchObject({ state: 'wrap_up', providerStatus: 'call.ended', providerRank: 3 });
    expect((await h.models.User.findById(agent2.id).lean())?.state.status).toBe('wrap_up');

    // Wrap-up with a note: the timeline has it, the agent is free again.
    const wrap = await agent2.emit('call:wrapup', {
      callId: callSid,
      disposition: 'resolved',
      note: 'Asked about invoice FV/2026/0001',
    });
    expect(wrap).toEqual({ ok: true });
    const interaction = await h.models.Interaction.findOne({ callId: callSid }).lean();
    expect(interaction).toMatchObject({
      type: 'call',
      disposition: 'resolved',
      summary: 'Inbound call: Asked about invoice FV/2026/0001',
      agentName: 'Agent 2',
    });
    expect(interaction?.customerId?.toString()).toBe(annaId);
    expect((await h.models.User.findById(agent2.id).lean())?.state.status).toBe('available');
  });

  it('refuses unsigned, forged and altered webhooks with 403 and records nothing', async () => {
    const before = await h.models.Call.countDocuments();
    const params = {
      CallSid: newCallSid(),
      AccountSid: TWILIO.sid,
      From: '+48601234567',
      To: '+48221234567',
      CallStatus: 'ringing',
    };
    expect((await h.webhook('/telephony/twilio/voice', params, null)).status).toBe(403);
    expect((await h.webhook('/telephony/twilio/voice', params, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    const signedForOther = signTwilioRequest(TWILIO.token, `${TWILIO.publicUrl}/telephony/twilio/voice`, params);
    expect(
      (await h.webhook('/telephony/twilio/voice', { ...params, From: '+48999999999' }, signedForOther)).status,
    ).toBe(403);
    const wrongToken = signTwilioRequest('another-token-0000', `${TWILIO.publicUrl}/telephony/twilio/voice`, params);
    expect((await h.webhook('/telephony/twilio/voice', params, wrongToken)).status).toBe(403);
    expect(
      (await h.webhook('/telephony/twilio/status', { CallSid: params.CallSid, CallStatus: 'completed' }, null)).status,
    ).toBe(403);
    expect(await h.models.Call.countDocuments()).toBe(before);
    expect(await h.models.Interaction.countDocuments({ callId: params.CallSid })).toBe(0);
  });

  it('answers a signed but malformed webhook with 400', async () => {
    const res = await h.webhook('/telephony/twilio/voice', { CallSid: 'not-a-sid', From: 'x' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'bad_request', message: 'not a Twilio voice webhook' } });
  });

  it('matches a shared number to every candidate and an unknown number to none', async () => {
    const agent3 = await h.agent('agent3@ringside.test');
    expect((await agent3.setState('available')).ok).toBe(true);
    const shared = await h.incoming('+48 22 628-12-34');
    const unknown = await h.incoming('+48 500 000 001');
    const anonymous = await h.incoming('anonymous');
    const popOf = (sid: string) => [...agent1.pops, ...agent2.pops, ...agent3.pops].find((p) => p.callId === sid);
    await until(() => [shared, unknown, anonymous].every((c) => popOf(c.callSid)), 3000, 'three pops');
    const sharedPop = popOf(shared.callSid);
    expect(sharedPop?.match).toBe('multiple');
    expect(sharedPop?.customer).toBeUndefined();
    expect(sharedPop?.candidates?.map((c) => c.name).sort()).toEqual(['Ewa Nowak', 'Jan Nowak']);
    expect(popOf(unknown.callSid)).toMatchObject({ match: 'none', caller: { e164: '+48500000001' } });
    expect(popOf(anonymous.callSid)).toMatchObject({ match: 'none', caller: { raw: 'anonymous', e164: null } });

    // The agent's choice is remembered for that number.
    const holder = [agent1, agent2, agent3].find((a) => a.pops.some((p) => p.callId === shared.callSid)) as TestAgent;
    const ewa = sharedPop?.candidates?.find((c) => c.name === 'Ewa Nowak');
    expect(await holder.emit('call:accept', { callId: shared.callSid })).toEqual({ ok: true });
    expect(await h.status(shared.callSid, 'completed')).toBe(204);
    await until(() => holder.ended.includes(shared.callSid), 2000, 'shared call ended');
    expect(
      await holder.emit('call:wrapup', { callId: shared.callSid, disposition: 'resolved', customerId: ewa?.id }),
    ).toEqual({ ok: true });
    for (const c of [unknown, anonymous]) expect(await h.status(c.callSid, 'canceled')).toBe(204);
    await until(
      async () => (await h.models.User.countDocuments({ 'state.status': 'available', email: /agent[123]@/ })) === 3,
    );

    const again = await h.incoming('22 628 12 34');
    await until(() => Boolean(popOf(again.callSid)), 3000, 'pop for the remembered number');
    expect(popOf(again.callSid)).toMatchObject({ match: 'multiple', customer: { name: 'Ewa Nowak' } });
    expect(popOf(again.callSid)?.candidates).toHaveLength(2);
    expect(await h.status(again.callSid, 'canceled')).toBe(204);
    await until(
      async () => (await h.models.User.countDocuments({ 'state.status': 'available', email: /agent[123]@/ })) === 3,
    );
    expect((await agent3.setState('away')).ok).toBe(true);
    agent3.close();
  });

  it('moves an unacknowledged offer to the next agent and sets the silent one away', async () => {
    await until(
      async () => (await h.models.User.countDocuments({ 'state.status': 'available', email: /agent[12]@/ })) === 2,
    );
    agent1.acking = false;
    agent2.acking = false;
    const { callSid } = await h.incoming('+48 500 000 002');
    await until(async () => (await h.models.Call.findById(callSid).lean())?.offers.length === 2, 4000, 'second offer');
    const call = await h.models.Call.findById(callSid).lean();
    expect(call?.offers[0]?.outcome).toBe('not acknowledged');
    const first = call?.offers[0]?.agentId?.toString();
    const second = call?.offers[1]?.agentId?.toString();
    expect(first).not.toBe(second);
    expect((await h.models.User.findById(first).lean())?.state).toMatchObject({
      status: 'away',
      reason: 'missed call (not acknowledged)',
    });
    agent1.acking = true;
    agent2.acking = true;
    expect(await h.status(callSid, 'canceled')).toBe(204);
    const silent = [agent1, agent2].find((a) => a.id === first);
    expect((await silent?.setState('available'))?.ok).toBe(true);
  });

  it('replays a pending pop to a console that reconnects', async () => {
    await until(
      async () => (await h.models.User.countDocuments({ 'state.status': 'available', email: /agent[12]@/ })) === 2,
    );
    const { callSid } = await h.incoming('+48 500 000 003');
    const holder = await (async () => {
      await until(() => [agent1, agent2].some((a) => a.pops.some((p) => p.callId === callSid)), 3000, 'pop');
      return [agent1, agent2].find((a) => a.pops.some((p) => p.callId === callSid)) as TestAgent;
    })();
    const before = holder.pops.filter((p) => p.callId === callSid).length;
    await holder.reconnect();
    await until(() => holder.pops.filter((p) => p.callId === callSid).length === before + 1, 3000, 'replayed pop');
    expect(holder.offers.filter((id) => id === callSid).length).toBeGreaterThanOrEqual(2);
    expect(await holder.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
    await finish(holder, callSid);
  });

  it('rejects bad socket payloads with a reason', async () => {
    expect(await agent1.emit('call:accept', { callId: '' } as never)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(await agent1.emit('call:wrapup', { callId: 'CAx', disposition: 'nonsense' } as never)).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(await agent1.emit('agent:state:set', { status: 'on_call' } as never)).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(
      await agent1.emit('agent:state:set', { status: 'away', agentId: new Types.ObjectId().toString() }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await agent1.emit('call:accept', { callId: newCallSid() })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('serves Prometheus metrics with the pop latency histogram, to the scraper with the token only', async () => {
    expect((await fetch(`${h.server.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${h.server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    expect(text).toMatch(/ringside_pop_latency_seconds_count\{provider="twilio"\} [1-9]/);
    expect(text).toMatch(/ringside_calls_total\{provider="twilio"\} [1-9]/);
  });
});
