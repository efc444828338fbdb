import { describe, expect, it } from 'vitest';
import { ProviderError } from '../provider';
import { twilioCallPresence } from './call-presence';

const sid = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;

describe('twilioCallPresence', () => {
  it("reads each call's status: queued, ringing and in progress are live; every other status is over", async () => {
    const statuses = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer'];
    const ended = new Date('2026-03-02T10:15:00Z');
    const answers = await twilioCallPresence(
      statuses.map((_, i) => sid(i)),
      async (callSid) => {
        const status = statuses[Number.parseInt(callSid.slice(2), 16)];
        return { sid: callSid, status, endTime: status === 'completed' ? ended : null };
      },
    );
    expect(Object.fromEntries(answers)).toEqual({
      [sid(0)]: { live: true },
      [sid(1)]: { live: true },
      [sid(2)]: { live: true },
      [sid(3)]: { live: true },
      [sid(4)]: { live: false, reason: 'completed', endedAt: ended },
      [sid(5)]: { live: false, reason: 'busy' },
      [sid(6)]: { live: false, reason: 'failed' },
      [sid(7)]: { live: false, reason: 'no-answer' },
    });
  });

  it('takes a 404 (and an id that is no CallSid) for a call Twilio does not know', async () => {
    const asked: string[] = [];
    const answers = await twilioCallPresence([sid(1), 'not-a-call-sid'], async (callSid) => {
      asked.push(callSid);
      throw new ProviderError('twilio', 'read the call status', 'Twilio answered 404', 404);
    });
    expect(asked).toEqual([sid(1)]);
    expect(Object.fromEntries(answers)).toEqual({
      [sid(1)]: { live: false, reason: 'not-found' },
      'not-a-call-sid': { live: false, reason: 'not-found' },
    });
  });

  it('answers for no call when one request fails otherwise, or Twilio answers an unknown status', async () => {
    const unavailable = new ProviderError('twilio', 'read the call status', 'Twilio answered 503', 503);
    await expect(
      twilioCallPresence([sid(1), sid(2), sid(3)], async (callSid) => {
        if (callSid === sid(2)) throw unavailable;
        return { status: 'completed' };
      }),
    ).rejects.toBe(unavailable);
    await expect(twilioCallPresence([sid(1)], async () => ({ status: 'paused' }))).rejects.toThrow(ProviderError);
  });

  it('keeps at most `atOnce` requests in flight and stops asking after a failure', async () => {
    let inFlight = 0;
    let most = 0;
    const ids = Array.from({ length: 40 }, (_, i) => sid(i));
    const answers = await twilioCallPresence(
      ids,
      async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight -= 1;
        return { status: 'in-progress' };
      },
      5,
    );
    expect(answers.size).toBe(40);
    expect(most).toBe(5);

    let asked = 0;
    await expect(
      twilioCallPresence(
        ids,
        async () => {
          asked += 1;
          throw new ProviderError('twilio', 'read the call status', 'Twilio could not be reached');
        },
        4,
      ),
    ).rejects.toThrow(/could not be reached/);
    expect(asked).toBeLessThanOrEqual(4);
  });
});
