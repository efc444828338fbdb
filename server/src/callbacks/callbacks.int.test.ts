import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { addCustomer, startCallsHarness, type CallsHarness, type TestAgent } from '../testing/calls-harness';

// The test moves its clock by days while its consoles stay signed in: their sessions outlast it.
const LONG_TTL = '400d';

// Tuesday 2026-11-24, 09:00 in Warsaw.
const clock = new ManualClock(new Date('2026-11-24T08:00:00Z'));
let h: CallsHarness;
let agent: TestAgent;
let token: string;
let customerId: string;
let otherId: string;

async function api(method: string, path: string, body?: unknown, as = token) {
  const res = await fetch(`${h.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${as}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & {
      error?: { code: string; message: string; details?: unknown };
    },
  };
}
const login = async (email: string) =>
  (
    (await (
      await fetch(`${h.server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'ringside' }),
      })
    ).json()) as { token: string }
  ).token;

beforeAll(async () => {
  h = await startCallsHarness({ JWT_TTL: LONG_TTL }, { clock });
  agent = await h.agent('agent1@ringside.test');
  token = await login('agent1@ringside.test');
  customerId = (
    await addCustomer(h.models, { name: 'Tomasz Zieliński', phones: ['601 222 333'], ownerId: agent.id })
  )._id.toString();
  otherId = (await addCustomer(h.models, { name: 'Hanna Mazur', phones: ['601 222 444'] }))._id.toString();
});
afterAll(async () => {
  await h.stop();
});

it('schedules a callback inside calling hours; the same request twice makes one', async () => {
  const assigned: string[] = [];
  agent.socket.on('callback:assigned', (c) => assigned.push(c.callbackId));
  const request = { customerId, dueAt: '2026-11-24T15:00:00+01:00', reason: 'Invoice question' };
  const first = await api('POST', '/api/callbacks', request);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({
    created: true,
    postponed: false,
    callback: { dueAt: '2026-11-24T14:00:00.000Z', phone: '+48601222333', status: 'scheduled', personal: true },
  });
  const again = await api('POST', '/api/callbacks', { ...request, dueAt: '2026-11-24T15:10:00+01:00' });
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ created: false, callback: { id: (first.body.callback as { id: string }).id } });
  expect(await h.models.Callback.countDocuments({ customerId })).toBe(1);
  await new Promise((r) => setTimeout(r, 100));
  expect(assigned).toEqual([(first.body.callback as { id: string }).id]);

  // Two requests at the same moment: still one.
  const racing = await Promise.all(
    [1, 2, 3].map(() => api('POST', '/api/callbacks', { ...request, reason: 'Delivery date' })),
  );
  expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 201]);
  expect(await h.models.Callback.countDocuments({ customerId, reason: 'Delivery date' })).toBe(1);
});

it('moves a request outside calling hours to the next window in the customer\u2019s zone', async () => {
  // Saturday 21:00 Warsaw → Monday 08:00 Warsaw.
  const late = await api('POST', '/api/callbacks', {
    customerId,
    dueAt: '2026-11-28T21:00:00+01:00',
    reason: 'Weekend call',
  });
  expect(late.body).toMatchObject({
    postponed: true,
    callback: { dueAt: '2026-11-30T07:00:00.000Z', requestedDueAt: '2026-11-28T20:00:00.000Z' },
  });
});

it('schedules by socket with an ack, lists mine, cancels, and refuses bad input', async () => {
  const ack = await agent.emit('callback:schedule', {
    customerId,
    dueAt: '2026-11-25T10:00:00+01:00',
    reason: 'Follow-up on order',
  });
  expect(ack).toMatchObject({ ok: true, data: { callbackId: expect.stringMatching(/^[0-9a-f]{24}$/) } });
  const bad = await agent.emit('callback:schedule', { customerId, dueAt: 'tomorrow', reason: 'x' });
  expect(bad).toMatchObject({ ok: false, code: 'bad_request' });
  const past = await api('POST', '/api/callbacks', {
    customerId,
    dueAt: '2026-11-20T10:00:00+01:00',
    reason: 'Too late',
  });
  expect(past.status).toBe(400);
  expect(past.body.error?.message).toBe('dueAt is in the past');

  const mine = await api('GET', '/api/callbacks');
  expect((mine.body.callbacks as Array<{ reason: string }>).map((c) => c.reason)).toEqual([
    'Invoice question',
    'Delivery date',
    'Follow-up on order',
    'Weekend call',
  ]);
  const id = (mine.body.callbacks as Array<{ id: string }>)[0]!.id;
  const supervisorToken = await login('supervisor@ringside.test');
  const cancelled = await api('DELETE', `/api/callbacks/${id}`, undefined, supervisorToken);
  expect(cancelled.body).toMatchObject({ callback: { status: 'cancelled' } });
  expect((await api('DELETE', `/api/callbacks/${id}`)).status).toBe(400);
  expect((await api('DELETE', '/api/callbacks/nope')).status).toBe(400);
});

it('follows the portfolio rules', async () => {
  const admin = await login('admin@ringside.test');
  expect((await api('PATCH', '/api/settings', { restrictToPortfolio: true }, admin)).status).toBe(200);
  const denied = await api('POST', '/api/callbacks', {
    customerId: otherId,
    dueAt: '2026-11-25T10:00:00+01:00',
    reason: 'Not mine',
  });
  expect(denied.status).toBe(403);
  expect(
    await agent.emit('callback:schedule', {
      customerId: otherId,
      dueAt: '2026-11-25T10:00:00+01:00',
      reason: 'Not mine',
    }),
  ).toMatchObject({ ok: false, code: 'forbidden' });
  expect((await api('PATCH', '/api/settings', { restrictToPortfolio: false }, admin)).status).toBe(200);
});

it('due: offered to its agent, then to the queue; dialed only on accept; retried with back-off, then failed', async () => {
  const dialer = h.server.app.dialer;
  clock.set(new Date('2026-11-24T08:00:00Z'));
  const offers: string[] = [];
  agent.socket.on('callback:assigned', (c) => offers.push(c.callbackId));
  const { body } = await api('POST', '/api/callbacks', {
    customerId: otherId,
    dueAt: '2026-11-24T12:00:00+01:00',
    reason: 'Retry path',
  });
  const id = (body.callback as { id: string }).id;

  clock.set(new Date('2026-11-24T10:59:00Z'));
  expect((await dialer.processDue()).offered).toBe(0);
  clock.set(new Date('2026-11-24T11:00:00Z'));
  expect(await dialer.processDue()).toMatchObject({ offered: 1 });
  expect(await dialer.processDue()).toMatchObject({ offered: 0 }); // never twice
  expect(await h.models.Callback.findById(id).lean()).toMatchObject({ status: 'offered', offerStage: 'agent' });
  expect(h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(0);

  // The agent does not take it for 10 minutes: the queue gets it.
  clock.set(new Date('2026-11-24T11:10:00Z'));
  expect(await dialer.processDue()).toMatchObject({ escalated: 1 });
  expect(await h.models.Callback.findById(id).lean()).toMatchObject({ status: 'offered', offerStage: 'queue' });

  // Accepted → dialed once, with TwiML that rings the agent when the customer answers.
  const accepted = await api('POST', `/api/callbacks/${id}/accept`);
  expect(accepted.status).toBe(200);
  const dial = await h.twilio.waitFor((r) => r.path.endsWith('/Calls.json'));
  expect(dial.params).toMatchObject({ To: '+48601222444', Twiml: expect.stringContaining('<Client>agent1</Client>') });
  expect((await api('POST', `/api/callbacks/${id}/accept`)).status).toBe(409);
  const sid = (accepted.body as { providerCallId: string }).providerCallId;

  // No answer → next attempt after 15 minutes.
  expect(await h.status(sid, 'no-answer')).toBe(204);
  const retry = await h.models.Callback.findById(id).lean();
  expect(retry).toMatchObject({ status: 'scheduled', dueAt: new Date('2026-11-24T11:25:00Z') });

  // Attempts 2 and 3 are busy → failed, with its history.
  for (const at of ['2026-11-24T11:25:00Z', '2026-11-24T12:25:00Z']) {
    clock.set(new Date(at));
    await dialer.processDue();
    await dialer.processDue();
    const r = await api('POST', `/api/callbacks/${id}/accept`);
    expect(r.status).toBe(200);
    expect(await h.status((r.body as { providerCallId: string }).providerCallId, 'busy')).toBe(204);
  }
  const failed = await h.models.Callback.findById(id).lean();
  expect(failed?.status).toBe('failed');
  expect(failed?.attempts.filter((a) => a.outcome === 'dialing')).toHaveLength(3);
  expect(failed?.attempts.at(-1)?.outcome).toMatch(/busy; gave up after 3 attempts/);
  expect(h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(3);
});

it('an answered callback is completed; a due callback outside calling hours waits for the window', async () => {
  const dialer = h.server.app.dialer;
  clock.set(new Date('2026-11-24T12:00:00Z'));
  const { body } = await api('POST', '/api/callbacks', {
    customerId,
    dueAt: '2026-11-24T13:30:00+01:00',
    reason: 'Answer path',
    personal: false,
  });
  const id = (body.callback as { id: string }).id;
  clock.set(new Date('2026-11-24T12:31:00Z'));
  await dialer.processDue();
  const r = await api('POST', `/api/callbacks/${id}/accept`);
  expect(await h.status((r.body as { providerCallId: string }).providerCallId, 'in-progress')).toBe(204);
  expect((await h.models.Callback.findById(id).lean())?.status).toBe('completed');

  // Due at 19:55 local, but the run happens at 20:05 local: postponed to 08:00 next morning.
  const late = await api('POST', '/api/callbacks', {
    customerId,
    dueAt: '2026-11-24T19:55:00+01:00',
    reason: 'Late one',
  });
  const lateId = (late.body.callback as { id: string }).id;
  clock.set(new Date('2026-11-24T19:05:00Z'));
  const run = await dialer.processDue();
  expect(
    run,
    JSON.stringify(await h.models.Callback.find({}, { reason: 1, status: 1, dueAt: 1 }).lean()),
  ).toMatchObject({ postponed: 2 });
  expect(await h.models.Callback.findById(lateId).lean()).toMatchObject({
    status: 'scheduled',
    dueAt: new Date('2026-11-25T07:00:00Z'),
  });
});

it('supervisors reassign a waiting callback; lists carry the customer name', async () => {
  clock.set(new Date('2026-11-24T12:00:00Z'));
  const { body } = await api('POST', '/api/callbacks', {
    customerId,
    dueAt: '2026-11-25T11:00:00+01:00',
    reason: 'Reassign me',
  });
  const id = (body.callback as { id: string }).id;
  const supervisorToken = await login('supervisor@ringside.test');
  const agent2 = await h.agent('agent2@ringside.test');
  const assigned: string[] = [];
  agent2.socket.on('callback:assigned', (c) => assigned.push(c.callbackId));
  expect((await api('PATCH', `/api/callbacks/${id}`, { assignedTo: agent2.id })).status).toBe(403);
  const moved = await api('PATCH', `/api/callbacks/${id}`, { assignedTo: agent2.id }, supervisorToken);
  expect(moved.body).toMatchObject({ callback: { assignedTo: agent2.id, personal: true } });
  await new Promise((r) => setTimeout(r, 100));
  expect(assigned).toEqual([id]);
  const theirs = await api('GET', '/api/callbacks', undefined, await login('agent2@ringside.test'));
  expect((theirs.body.callbacks as Array<{ id: string; customerName: string }>).find((c) => c.id === id)).toMatchObject(
    { customerName: 'Tomasz Zieliński' },
  );
  expect((await api('PATCH', `/api/callbacks/${id}`, { assignedTo: 'nobody' }, supervisorToken)).status).toBe(400);
});

it('click-to-dial calls the customer and rings the agent; refuses do-not-call and the night', async () => {
  clock.set(new Date('2026-11-24T12:00:00Z'));
  const before = h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json')).length;
  const dialed = await api('POST', '/api/calls/outbound', { customerId });
  expect(dialed.status).toBe(201);
  expect(dialed.body).toMatchObject({ to: '+48601222333', callId: expect.stringMatching(/^CA/) });
  const request = h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json')).at(-1);
  expect(request?.params).toMatchObject({
    To: '+48601222333',
    Twiml: expect.stringContaining('<Client>agent1</Client>'),
  });
  expect(h.twilio.requests.filter((r) => r.path.endsWith('/Calls.json'))).toHaveLength(before + 1);

  clock.set(new Date('2026-11-24T22:00:00Z'));
  const night = await api('POST', '/api/calls/outbound', { customerId });
  expect(night.status).toBe(409);
  expect(night.body.error?.message).toMatch(
    /outside the customer's calling hours; next window 2026-11-25T07:00:00.000Z/,
  );
  expect(night.body.error?.details).toEqual({ nextWindow: '2026-11-25T07:00:00.000Z' });
  clock.set(new Date('2026-11-24T12:00:00Z'));
  await h.models.Customer.updateOne({ _id: customerId }, { $set: { 'flags.doNotCall': true } });
  expect((await api('POST', '/api/calls/outbound', { customerId })).status).toBe(409);
  await h.models.Customer.updateOne({ _id: customerId }, { $set: { 'flags.doNotCall': false } });
});

it('tells a console its own state when it connects', async () => {
  const states: string[] = [];
  const again = await h.agent('agent1@ringside.test');
  again.socket.on('agent:state', (s) => states.push(s.status));
  await again.reconnect();
  await new Promise((r) => setTimeout(r, 200));
  expect(states.length).toBeGreaterThanOrEqual(1);
  expect(states.at(-1)).toBe((await h.models.User.findById(again.id).lean())?.state.status);
});

it('matches a placed call whose id was never written down by its reference, and re-offers one never placed', async () => {
  const dialer = h.server.app.dialer;
  const base = {
    customerId,
    phone: '+48601222333',
    queue: 'support',
    source: 'agent' as const,
    personal: false,
    attempts: [{ at: clock.now(), outcome: 'dialing' }],
  };
  // Placed (the provider reports back with our reference), but the process stopped before saving the call id.
  const placed = await h.models.Callback.create({
    ...base,
    reason: 'placed',
    naturalKey: 'ref-test|placed',
    dueAt: clock.now(),
    status: 'dialing',
    dialingAt: clock.now(),
  });
  const path = `/telephony/twilio/status?ref=${placed._id.toString()}`;
  const sid = `CA${'e'.repeat(32)}`;
  expect(
    (await h.webhook(path, { CallSid: sid, AccountSid: 'AC' + 'a'.repeat(32), CallStatus: 'in-progress' })).status,
  ).toBe(204);
  expect(await h.models.Callback.findById(placed._id).lean()).toMatchObject({
    status: 'completed',
    providerCallId: sid,
  });
  // A reference cannot be taken over by another call once the callback knows its own.
  expect(
    (
      await h.webhook(path, {
        CallSid: `CA${'f'.repeat(32)}`,
        AccountSid: 'AC' + 'a'.repeat(32),
        CallStatus: 'completed',
      })
    ).status,
  ).toBe(204);
  expect(await h.models.Callback.findById(placed._id).lean()).toMatchObject({
    status: 'completed',
    providerCallId: sid,
  });

  // Never placed: no word from the provider for longer than the limit → offered again, not lost.
  const silent = await h.models.Callback.create({
    ...base,
    reason: 'silent',
    naturalKey: 'ref-test|silent',
    dueAt: clock.now(),
    status: 'dialing',
    dialingAt: clock.now(),
  });
  await dialer.processDue();
  expect((await h.models.Callback.findById(silent._id).lean())?.status).toBe('dialing'); // not yet
  clock.advance(6 * 60_000);
  await dialer.processDue();
  const again = await h.models.Callback.findById(silent._id).lean();
  expect(again?.status).toBe('offered');
  expect(again?.attempts.map((a) => a.outcome)).toContain('not placed: no word from the provider; offered again');
});
