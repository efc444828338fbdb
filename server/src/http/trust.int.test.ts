// Bad input gets a 4xx, always; replays and races change nothing; a provider outage is a 503.
// Each test here is one finding of the fuzz test (fuzz.int.test.ts) or of review, pinned.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { newCallSid, signTwilioRequest } from '@ringside/telephony/testing';
import { ManualClock } from '../clock';
import { CallbackService } from '../callbacks/callbacks.service';
import { addCustomer, startCallsHarness, TWILIO, type CallsHarness } from '../testing/calls-harness';
import { errorOf, rawRequest, type RawRequest } from './testing/raw-http';

// Tuesday 2026-11-24, 10:00 in Warsaw: inside calling hours.
const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));
let h: CallsHarness;
let agentToken: string;
let customerId: string;

const send = (req: RawRequest) => rawRequest(h.server.url, req);
const json = () => ({ 'content-type': 'application/json', authorization: `Bearer ${agentToken}` });
const twilioForm = (params: Record<string, string>) => new URLSearchParams(params).toString();
const voiceParams = (callSid = newCallSid(), from = '+48601555111') => ({
  CallSid: callSid,
  AccountSid: TWILIO.sid,
  From: from,
  To: '+48221234567',
  CallStatus: 'ringing',
  Direction: 'inbound',
  ApiVersion: '2010-04-01',
});

beforeAll(async () => {
  h = await startCallsHarness({ LOGIN_RATE_LIMIT: '1000' }, { clock });
  agentToken = await h.token('agent1@ringside.test');
  const agent1 = await h.models.User.findOne({ email: 'agent1@ringside.test' }).lean();
  customerId = (
    await addCustomer(h.models, {
      name: 'Zofia Wrona',
      phones: ['601 555 111'],
      ...(agent1 ? { ownerId: agent1._id.toString() } : {}),
    })
  )._id.toString();
});
afterAll(async () => {
  await h?.stop();
});

describe('body-parser refusals are 4xx with a reason', () => {
  it('a charset it cannot read → 415, on the API and on the Twilio webhooks', async () => {
    const api = await send({
      method: 'POST',
      target: '/api/auth/login',
      headers: { 'content-type': 'application/json; charset=klingon' },
      body: '{"email":"a@b.c","password":"x"}',
    });
    expect(api.status).toBe(415);
    expect(errorOf(api)).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('charset') });
    const twilio = await send({
      method: 'POST',
      target: '/telephony/twilio/voice',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-7', 'x-twilio-signature': 'x' },
      body: twilioForm(voiceParams()),
    });
    expect(twilio.status).toBe(415);
  });

  it('an unknown Content-Encoding → 415; a body that is not the gzip it claims → 400', async () => {
    const unknown = await send({
      method: 'POST',
      target: '/api/callbacks',
      headers: { ...json(), 'content-encoding': 'snappy' },
      body: '{}',
    });
    expect(unknown.status).toBe(415);
    expect(errorOf(unknown)?.message).toMatch(/Content-Encoding/);
    const badGzip = await send({
      method: 'POST',
      target: '/api/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'this is not gzip',
    });
    expect(badGzip.status).toBe(400);
    expect(errorOf(badGzip)).toMatchObject({ code: 'bad_request' });
    // Real gzip still works.
    const gzipped = await send({
      method: 'POST',
      target: '/api/auth/login',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ email: 'agent1@ringside.test', password: 'ringside' })),
    });
    expect(gzipped.status).toBe(200);
  });

  it('a form with more than 1,000 fields → 413, before any signature work', async () => {
    const fields = Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&');
    for (const target of ['/api/auth/login', '/telephony/twilio/voice', '/telephony/twilio/sms-status']) {
      const res = await send({
        method: 'POST',
        target,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'anything' },
        body: fields,
      });
      expect(res.status, target).toBe(413);
      expect(errorOf(res)).toMatchObject({ code: 'too_large', message: expect.stringContaining('1000 fields') });
    }
  });
});

describe('odd requests are 4xx', () => {
  it('bad percent-encoding in a path → 400', async () => {
    const res = await send({ method: 'GET', target: '/api/customers/%ZZ', headers: json() });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'bad_request', message: expect.stringContaining('percent-encoding') });
    const patch = await send({ method: 'PATCH', target: '/api/callbacks/%E0%A4%A', headers: json(), body: '{}' });
    expect(patch.status).toBe(400);
  });

  it('a 50,000-deep JSON array → 400, with any X-Twilio-Signature and without', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    for (const target of ['/telephony/twilio/voice', '/telephony/twilio/sms-status', '/api/auth/login']) {
      const res = await send({
        method: 'POST',
        target,
        headers: { 'content-type': 'application/json', 'x-twilio-signature': 'bm90IGEgc2lnbmF0dXJl' },
        body: deep,
      });
      expect(res.status, target).toBe(400);
      expect(errorOf(res)?.message, target).toMatch(/nested deeper than 32/);
    }
  });

  it('a Twilio webhook that is JSON, or nested form fields, is refused before its signature is checked', async () => {
    const asJson = await send({
      method: 'POST',
      target: '/telephony/twilio/voice',
      headers: { 'content-type': 'application/json', 'x-twilio-signature': 'x' },
      body: JSON.stringify(voiceParams()),
    });
    expect(asJson.status).toBe(415);
    // Unsigned form posts are still 403 (the public contract).
    expect((await h.webhook('/telephony/twilio/voice', voiceParams(), null)).status).toBe(403);
  });

  it('an absolute-form request URL: forged → 403, signed for our public URL → 200', async () => {
    const params = voiceParams();
    const body = twilioForm(params);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged = await send({
      method: 'POST',
      target: 'http://ringside.example.com/telephony/twilio/voice',
      headers: { ...headers, 'x-twilio-signature': 'Zm9yZ2Vk' },
      body,
    });
    expect(forged.status).toBe(403);
    const signature = signTwilioRequest(TWILIO.token, `${TWILIO.publicUrl}/telephony/twilio/voice`, params);
    const signed = await send({
      method: 'POST',
      target: 'http://ringside.example.com/telephony/twilio/voice',
      headers: { ...headers, 'x-twilio-signature': signature },
      body,
    });
    expect(signed.status).toBe(200);
    expect(signed.body).toMatch(/^<\?xml/);
  });
});

describe('socket events are always answered', () => {
  it('an event with more arguments than its payload still gets its ack', async () => {
    const agent = await h.agent('agent3@ringside.test');
    const emit = agent.socket.emit.bind(agent.socket) as (event: string, ...args: unknown[]) => void;
    const answer = await new Promise((resolve) => emit('agent:state:set', { status: 'away' }, 'extra', resolve));
    expect(answer).toMatchObject({ ok: true });
    const refused = await new Promise((resolve) => emit('call:accept', undefined, null, resolve));
    expect(refused).toMatchObject({ ok: false, code: 'bad_request' });
    agent.close();
  });
});

describe('a provider outage is a 503 with a reason', () => {
  it('click-to-dial while Twilio answers 500, or cannot be reached', async () => {
    for (const mode of [{ status: 500 }, 'unreachable'] as const) {
      h.twilio.outage(mode);
      try {
        const res = await send({
          method: 'POST',
          target: '/api/calls/outbound',
          headers: json(),
          body: JSON.stringify({ customerId }),
        });
        expect(res.status, JSON.stringify(mode)).toBe(503);
        expect(errorOf(res)).toMatchObject({
          code: 'unavailable',
          message: expect.stringMatching(/^twilio could not place the call: /),
        });
      } finally {
        h.twilio.outage(null);
      }
    }
    const ok = await send({
      method: 'POST',
      target: '/api/calls/outbound',
      headers: json(),
      body: JSON.stringify({ customerId }),
    });
    expect(ok.status).toBe(201);
  });

  it('accepting a callback while Twilio answers 503, or cannot be reached', async () => {
    const cases = [
      { mode: { status: 503 }, dueAt: '2026-11-24T10:30:00+01:00', due: '2026-11-24T09:30:00Z' },
      { mode: 'unreachable', dueAt: '2026-11-24T11:30:00+01:00', due: '2026-11-24T10:30:00Z' },
    ] as const;
    for (const [n, { mode, dueAt, due }] of cases.entries()) {
      clock.set(new Date('2026-11-24T09:00:00Z'));
      const scheduled = await send({
        method: 'POST',
        target: '/api/callbacks',
        headers: json(),
        body: JSON.stringify({ customerId, dueAt, reason: `Outage check ${n}` }),
      });
      expect(scheduled.status).toBe(201);
      const id = (JSON.parse(scheduled.body) as { callback: { id: string } }).callback.id;
      clock.set(new Date(due));
      expect((await h.server.app.dialer.processDue()).offered).toBeGreaterThan(0);
      h.twilio.outage(mode);
      try {
        const res = await send({ method: 'POST', target: `/api/callbacks/${id}/accept`, headers: json() });
        expect(res.status, JSON.stringify(mode)).toBe(503);
        expect(errorOf(res)).toMatchObject({ code: 'unavailable', message: expect.any(String) });
      } finally {
        h.twilio.outage(null);
      }
    }
    clock.set(new Date('2026-11-24T09:00:00Z'));
  });
});

describe('races and replays change nothing', () => {
  it('concurrent identical POST /api/callbacks answer the same success: one creates it, the others find it', async () => {
    const rounds = 20;
    const writers = 6;
    for (let round = 0; round < rounds; round++) {
      const body = JSON.stringify({ customerId, dueAt: '2026-11-24T16:00:00+01:00', reason: `Race ${round}` });
      const answers = await Promise.all(
        Array.from({ length: writers }, () =>
          send({ method: 'POST', target: '/api/callbacks', headers: json(), body }),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}: ${answers.map((a) => a.body).join(' | ')}`).toEqual(
        [201, ...Array<number>(writers - 1).fill(200)].sort(),
      );
      const ids = new Set(answers.map((a) => (JSON.parse(a.body) as { callback: { id: string } }).callback.id));
      expect(ids.size).toBe(1);
    }
    expect(await h.models.Callback.countDocuments({ reason: /^Race / })).toBe(rounds);
  });

  it('concurrent identical schedules of one callback all answer it (the database may answer an upsert with null)', async () => {
    const service = new CallbackService({
      models: h.models,
      clock,
      customers: { get: () => Promise.reject(new Error('not used')) },
      defaultCountry: 'PL',
    });
    const customer = { _id: new Types.ObjectId(customerId), timeZone: 'Europe/Warsaw' };
    for (let round = 0; round < 100; round++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          service.scheduleFor({
            customer,
            phone: '+48601555111',
            queue: 'support',
            reason: `Service race ${round}`,
            source: 'agent',
            dueAt: new Date('2026-11-24T15:00:00Z'),
          }),
        ),
      );
      expect(new Set(results.map((r) => r.callback._id.toString())).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    }
  });

  it('one signed voice webhook sent 50 times writes one call entry in the timeline', async () => {
    const params = voiceParams(newCallSid(), '+48601555111');
    const answers = [];
    for (let batch = 0; batch < 10; batch++) {
      answers.push(
        ...(await Promise.all(Array.from({ length: 5 }, () => h.webhook('/telephony/twilio/voice', params)))),
      );
    }
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await h.models.Interaction.countDocuments({ callId: params.CallSid })).toBe(1);
    const timeline = await send({
      method: 'GET',
      target: `/api/customers/${customerId}/timeline?limit=200`,
      headers: json(),
    });
    const entries = (JSON.parse(timeline.body) as { entries: Array<{ type: string; callId?: string }> }).entries;
    expect(entries.filter((e) => e.callId === params.CallSid)).toHaveLength(1);
    expect(await h.models.Call.countDocuments({ _id: params.CallSid })).toBe(1);
  });

  it('an SMS delivery report sent again changes nothing', async () => {
    const sid = `SM${new Types.ObjectId().toHexString()}${'0'.repeat(8)}`;
    const c = await h.models.DunningCase.create({
      customerId: new Types.ObjectId(customerId),
      currency: 'PLN',
      amount: 100,
      oldestDueAt: new Date('2026-10-01T00:00:00Z'),
      openedAt: new Date('2026-11-01T00:00:00Z'),
      caseKey: `${customerId}|PLN|replay`,
      messages: [{ sid, step: 'sms', to: '+48601555111', body: 'Reminder', status: 'sent', sentAt: new Date() }],
    });
    const report = { MessageSid: sid, MessageStatus: 'delivered', To: '+48601555111', AccountSid: TWILIO.sid };
    for (let i = 0; i < 5; i++) expect((await h.webhook('/telephony/twilio/sms-status', report)).status).toBe(204);
    const after = await h.models.DunningCase.findById(c._id).lean();
    expect(after?.messages[0]).toMatchObject({ sid, status: 'delivered' });
    expect(after?.history.filter((e) => e.action === 'sms_status')).toHaveLength(1);
    expect(await h.models.Audit.countDocuments({ action: 'dunning.sms_status', entityId: c._id.toHexString() })).toBe(
      1,
    );
    // A later status of the same message is a new report.
    expect((await h.webhook('/telephony/twilio/sms-status', { ...report, MessageStatus: 'read' })).status).toBe(204);
    const read = await h.models.DunningCase.findById(c._id).lean();
    expect(read?.history.filter((e) => e.action === 'sms_status')).toHaveLength(2);
  });
});
