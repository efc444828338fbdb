import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsteriskProvider } from '@ringside/telephony';
import { startAriServer, type AriServer } from '@ringside/telephony/testing';
import { ManualClock } from '../clock';
import {
  TWILIO,
  addCustomer,
  startCallsHarness,
  until,
  type CallsHarness,
  type TestAgent,
} from '../testing/calls-harness';

// Tuesday 11:00 in Warsaw: inside calling hours.
const clock = new ManualClock(new Date('2026-11-24T10:00:00Z'));
const ARI = { username: 'ringside', password: 'ari-test-password', app: 'ringside' };
let ari: AriServer;
let asterisk: AsteriskProvider;
let h: CallsHarness;
let agent: TestAgent;
let adminToken: string;

const numbers = {
  a: '+48 600 100 001',
  b: '+48 600 100 002',
  c: '+48 600 100 003',
  d: '+48 600 100 004',
  e: '+48 600 100 005',
};

beforeAll(async () => {
  ari = await startAriServer({ username: ARI.username, password: ARI.password, app: ARI.app });
  asterisk = new AsteriskProvider({ url: ari.url, ...ARI, clock });
  h = await startCallsHarness(
    { OFFER_ACK_TIMEOUT_MS: '5000', OFFER_ACCEPT_TIMEOUT_MS: '60000' },
    { clock, providers: { asterisk } },
  );
  await asterisk.start();
  for (const [key, phone] of Object.entries(numbers))
    await addCustomer(h.models, { name: `Caller ${key.toUpperCase()}`, phones: [phone] });
  // One agent with the support skill on duty.
  await h.models.User.updateMany({ email: { $ne: 'agent1@ringside.test' } }, { $set: { skills: ['sales'] } });
  agent = await h.agent('agent1@ringside.test');
  expect((await agent.setState('available')).ok).toBe(true);
  adminToken = await h.token('admin@ringside.test');
});

afterAll(async () => {
  await asterisk.close();
  await h.stop();
  await ari.close();
});

const putQueue = (name: string, body: unknown) =>
  fetch(`${h.server.url}/api/queues/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(body),
  });

/** The agent takes the offered call, talks, the caller hangs up, the agent wraps up. */
async function handle(callId: string): Promise<void> {
  expect(await agent.emit('call:accept', { callId })).toEqual({ ok: true });
  expect(await h.status(callId, 'completed')).toBe(204);
  await until(() => agent.ended.includes(callId), 3000, 'ended');
  expect(await agent.emit('call:wrapup', { callId, disposition: 'resolved' })).toEqual({ ok: true });
}

describe('queues in the database', () => {
  it('lists the default queues and lets an admin change one; bad input is refused with a reason', async () => {
    const list = await fetch(`${h.server.url}/api/queues`, { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await list.json()) as { queues: Array<{ name: string; isDefault: boolean }> };
    expect(body.queues.map((q) => q.name)).toEqual(['support', 'collections', 'sales']);
    expect(body.queues.find((q) => q.isDefault)?.name).toBe('support');

    const bad = await putQueue('support', { skill: 'support', slaSeconds: -5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/slaSeconds/);
    const badNumber = await putQueue('support', { skill: 'support', slaSeconds: 20, numbers: ['not a number'] });
    expect(badNumber.status).toBe(400);

    const ok = await putQueue('support', {
      skill: 'support',
      slaSeconds: 20,
      callbackAfterSec: 60,
      announceEverySec: 30,
      isDefault: true,
      order: 1,
    });
    expect(ok.status).toBe(200);
    expect(await h.models.Audit.countDocuments({ entity: 'queue', entityId: 'support' })).toBe(1);

    const agentRes = await fetch(`${h.server.url}/api/queues/support`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(agentRes.status).toBe(401);
  });

  it('routes a call to the queue of the dialed number', async () => {
    expect(
      (await putQueue('sales', { skill: 'sales', slaSeconds: 20, numbers: ['22 100 30 00'], order: 3 })).status,
    ).toBe(200);
    const { callSid } = await h.incoming('+48 600 999 111', { to: '+48221003000' });
    await until(async () => Boolean(await h.models.Call.exists({ _id: callSid })), 3000, 'call stored');
    expect((await h.models.Call.findById(callSid).lean())?.queue).toBe('sales');
    expect(await h.status(callSid, 'completed')).toBe(204);
  });
});

describe('virtual hold (Twilio)', () => {
  it('announces the position and, after the threshold, offers a callback that keeps the place in line', async () => {
    const a = await h.incoming(numbers.a);
    await until(() => agent.offers.includes(a.callSid), 3000, 'A offered');
    const b = await h.incoming(numbers.b);
    const c = await h.incoming(numbers.c);
    const d = await h.incoming(numbers.d);
    // Everyone waits in line; the answer plays music and comes back for news.
    expect(d.body).toContain('/telephony/twilio/wait</Redirect>');

    // Before the threshold: position and estimated wait, no callback offer.
    const early = await h.webhook('/telephony/twilio/wait', {
      CallSid: d.callSid,
      AccountSid: TWILIO.sid,
      CallStatus: 'in-progress',
    });
    expect(early.status).toBe(200);
    expect(early.body).toContain('You are number 3 in line.');
    expect(early.body).toMatch(/The estimated wait is about \d+ minutes?\./);
    expect(early.body).not.toContain('<Gather');

    clock.advance(61_000);
    const later = await h.webhook('/telephony/twilio/wait', {
      CallSid: d.callSid,
      AccountSid: TWILIO.sid,
      CallStatus: 'in-progress',
    });
    expect(later.body).toContain(
      '<Gather input="dtmf" numDigits="1" action="https://ringside.example.com/telephony/twilio/gather" method="POST" actionOnEmptyResult="false">',
    );
    expect(later.body).toContain('press 1');

    // Another key is not a callback request; a forged gather is refused and changes nothing.
    const other = await h.webhook('/telephony/twilio/gather', {
      CallSid: d.callSid,
      AccountSid: TWILIO.sid,
      Digits: '5',
    });
    expect(other.body).toContain('You are number 3 in line.');
    const forged = await h.webhook(
      '/telephony/twilio/gather',
      { CallSid: d.callSid, AccountSid: TWILIO.sid, Digits: '1' },
      'forged',
    );
    expect(forged.status).toBe(403);
    expect(await h.models.Callback.countDocuments({ callId: d.callSid })).toBe(0);

    // Malformed webhooks get a reason, not a crash.
    const malformed = await h.webhook('/telephony/twilio/gather', {
      CallSid: 'not-a-sid',
      AccountSid: TWILIO.sid,
      Digits: '1',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('not a Twilio gather webhook');
    expect((await h.webhook('/telephony/twilio/wait', { AccountSid: TWILIO.sid })).status).toBe(400);
    expect(
      (await h.webhook('/telephony/twilio/gather', { CallSid: d.callSid, AccountSid: TWILIO.sid, Digits: '1; drop' }))
        .status,
    ).toBe(400);

    const pressed = await h.webhook('/telephony/twilio/gather', {
      CallSid: d.callSid,
      AccountSid: TWILIO.sid,
      Digits: '1',
    });
    expect(pressed.body).toContain('we will call you back');
    expect(pressed.body).toContain('<Hangup/>');
    // Pressing again (a repeated webhook) makes no second callback.
    await h.webhook('/telephony/twilio/gather', { CallSid: d.callSid, AccountSid: TWILIO.sid, Digits: '1' });
    const holding = await h.models.Callback.find({ callId: d.callSid }).lean();
    expect(holding).toHaveLength(1);
    expect(holding[0]).toMatchObject({
      status: 'holding',
      source: 'virtual_hold',
      phone: '+48600100004',
      queue: 'support',
    });

    // The caller hangs up: the call keeps its place instead of being abandoned.
    expect(await h.status(d.callSid, 'completed')).toBe(204);
    expect((await h.models.Call.findById(d.callSid).lean())?.state).toBe('queued');
    const e = await h.incoming(numbers.e);

    // The agent works through the line: B and C (who arrived before D) first, then D's callback, then E.
    const order: string[] = [];
    const offeredNext = async (after: number) => {
      await until(() => agent.offers.length > after, 3000, 'next offer');
      return agent.offers.at(-1)!;
    };
    let seen = agent.offers.length;
    await handle(a.callSid);
    for (let i = 0; i < 2; i++) {
      const next = await offeredNext(seen);
      seen = agent.offers.length;
      order.push(next);
      await handle(next);
    }
    const callbackOffer = await offeredNext(seen);
    seen = agent.offers.length;
    order.push(callbackOffer);
    expect(order).toEqual([b.callSid, c.callSid, d.callSid]);
    expect((await h.models.Callback.findById(holding[0]!._id).lean())?.status).toBe('offered');

    // Accepting dials the customer, who is connected to the agent when they answer.
    const before = h.twilio.requests.length;
    expect(await agent.emit('call:accept', { callId: d.callSid })).toEqual({ ok: true });
    const dial = await h.twilio.waitFor((r) => r.path.endsWith('/Calls.json') && r.params.To === '+48600100004');
    expect(h.twilio.requests.indexOf(dial)).toBeGreaterThanOrEqual(before);
    expect(String(dial.params.Twiml)).toContain('<Client>agent1</Client>');
    const dialing = await h.models.Callback.findById(holding[0]!._id).lean();
    expect(dialing?.status).toBe('dialing');
    expect((await h.models.User.findById(agent.id).lean())?.state.status).toBe('on_call');

    // The customer answers, talks, hangs up: the agent wraps up and E is next.
    const outbound = dialing!.providerCallId!;
    expect(await h.status(outbound, 'in-progress')).toBe(204);
    expect(await h.status(outbound, 'completed')).toBe(204);
    await until(() => agent.ended.includes(d.callSid), 3000, 'callback ended for the agent');
    expect((await h.models.Callback.findById(holding[0]!._id).lean())?.status).toBe('completed');
    expect(await agent.emit('call:wrapup', { callId: d.callSid, disposition: 'resolved' })).toEqual({ ok: true });
    expect(await offeredNext(seen)).toBe(e.callSid);
    await handle(e.callSid);
  });
});

describe('virtual hold (Asterisk)', () => {
  it('plays position and hold time, offers the callback, and on 1 thanks the caller and hangs up', async () => {
    expect(
      (
        await putQueue('support', {
          skill: 'support',
          slaSeconds: 20,
          callbackAfterSec: 60,
          announceEverySec: 2,
          isDefault: true,
          order: 1,
        })
      ).status,
    ).toBe(200);
    expect((await agent.setState('away')).ok).toBe(true);
    const channelId = ari.simulateIncomingCall({ callerNumber: '600100002', exten: '100' });
    await until(async () => (await h.models.Call.findById(channelId).lean())?.state === 'queued', 3000, 'queued');
    clock.advance(61_000);
    const announced = await ari.waitForCommand(
      (c) =>
        c.operation === 'channels.play' &&
        c.pathParams.channelId === channelId &&
        String(c.params.media).includes('ringside/press-1-for-callback'),
      6000,
    );
    // Nobody with the skill is logged in, so there is no hold-time estimate to give.
    expect(String(announced.params.media).split(',')).toEqual([
      'sound:queue-youarenext',
      'sound:ringside/press-1-for-callback',
    ]);
    ari.sendDtmf(channelId, '1');
    await ari.waitForCommand(
      (c) => c.operation === 'channels.play' && String(c.params.media) === 'sound:ringside/callback-confirmed',
      3000,
    );
    await ari.waitForCommand((c) => c.operation === 'channels.hangup' && c.pathParams.channelId === channelId, 3000);
    await until(
      async () => (await h.models.Callback.countDocuments({ callId: channelId, status: 'holding' })) === 1,
      3000,
      'holding callback',
    );
    // Hung up after asking: still in line.
    await until(() => !ari.channels.has(channelId), 3000, 'channel gone');
    expect((await h.models.Call.findById(channelId).lean())?.state).toBe('queued');
  });
});
