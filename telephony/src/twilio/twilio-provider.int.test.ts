// TwilioProvider.checkCalls over real HTTP against the local Twilio REST stand-in: the Call
// resource's status for each call, a 404 for a call Twilio does not know, errors as ProviderError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../provider';
import { TwilioProvider } from './twilio-provider';
import { newCallSid, startTwilioRestServer, type TwilioRestServer } from './testing/twilio-rest-server';

const ACCOUNT = { accountSid: `AC${'c'.repeat(32)}`, authToken: 'check-calls-token' };
let rest: TwilioRestServer;
let twilio: TwilioProvider;

beforeAll(async () => {
  rest = await startTwilioRestServer(ACCOUNT);
  twilio = new TwilioProvider({ ...ACCOUNT, apiBase: rest.url, publicUrl: 'https://ringside.example.com' });
});

afterAll(async () => {
  await rest.close();
});

describe('TwilioProvider.checkCalls', () => {
  it("asks Twilio for each call's status: live while in progress, over once completed or unknown", async () => {
    const [talking, hungUp, deleted, placed] = [newCallSid(), newCallSid(), newCallSid(), newCallSid()];
    const endedAt = new Date('2026-03-02T10:15:07Z');
    rest.setCallStatus(talking, 'in-progress');
    rest.setCallStatus(hungUp, 'completed', endedAt);
    rest.setCallStatus(deleted, 'not-found');
    const before = rest.requests.length;
    const answers = await twilio.checkCalls([talking, hungUp, deleted, placed]);
    expect(Object.fromEntries(answers)).toEqual({
      [talking]: { live: true },
      [hungUp]: { live: false, reason: 'completed', endedAt },
      [deleted]: { live: false, reason: 'not-found' },
      [placed]: { live: true }, // a call the stand-in never heard of is one in progress
    });
    const asked = rest.requests.slice(before);
    expect(asked.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [talking, hungUp, deleted, placed]
        .map((s) => `GET /2010-04-01/Accounts/${ACCOUNT.accountSid}/Calls/${s}.json`)
        .sort(),
    );
  });

  it('sees the calls it placed queued, and completed once hung up over REST', async () => {
    const { callId } = await twilio.originate({ to: '+48601000111', from: '+48221002000' });
    expect(await twilio.checkCalls([callId])).toEqual(new Map([[callId, { live: true }]]));
    await twilio.hangup(callId);
    expect((await twilio.checkCalls([callId])).get(callId)).toMatchObject({ live: false, reason: 'completed' });
  });

  it('answers for no call when Twilio refuses or cannot be reached', async () => {
    const calls = [newCallSid(), newCallSid()];
    rest.outage({ status: 503 });
    try {
      const refused = await twilio.checkCalls(calls).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ProviderError);
      expect(refused).toMatchObject({ provider: 'twilio', status: 503 });
      rest.outage('unreachable');
      await expect(twilio.checkCalls(calls)).rejects.toThrow(/twilio could not read the call status/);
    } finally {
      rest.outage(null);
    }
    const wrongToken = new TwilioProvider({
      ...ACCOUNT,
      authToken: 'not-the-token',
      apiBase: rest.url,
      publicUrl: 'https://ringside.example.com',
    });
    await expect(wrongToken.checkCalls(calls)).rejects.toMatchObject({ provider: 'twilio', status: 401 });
  });
});
