// Which calls Twilio still has in progress: one Call resource fetched per call
// (`GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`), a few at a time, each answer read
// with zod. A 404 is a call Twilio does not know: not live. Any other failure answers for no call.
import { z } from 'zod';
import { ProviderError, type CallPresence } from '../provider';

/** Every status Twilio gives a call (the REST Call resource and the status callbacks). */
export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;

/** A call in one of these is still going on; in any other it is over. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'initiated', 'ringing', 'in-progress']);

export const CALL_SID = /^CA[0-9a-f]{32}$/i;

/** What we read of a fetched Call resource; the library turns `end_time` into a Date (or null). */
const fetchedCallSchema = z.object({
  status: z.enum(CALL_STATUSES),
  endTime: z.date().nullish().catch(undefined),
});

/** Call resources fetched at once (Twilio limits an account's concurrent requests). */
export const LOOKUPS_AT_ONCE = 8;

const ACTION = 'read the call status';

/**
 * Asks Twilio about each call, at most `atOnce` requests in flight. `fetchCall` fetches one Call
 * resource and fails with a ProviderError (its `status` Twilio's HTTP answer). The first failure
 * other than a 404 stops the asking and is thrown: then nothing is answered.
 */
export async function twilioCallPresence(
  callIds: readonly string[],
  fetchCall: (callSid: string) => Promise<unknown>,
  atOnce = LOOKUPS_AT_ONCE,
): Promise<Map<string, CallPresence>> {
  const answers = new Map<string, CallPresence>();
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < callIds.length) {
      const callId = callIds[next++] as string;
      try {
        answers.set(callId, await presenceOf(callId, fetchCall));
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(atOnce, callIds.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return answers;
}

async function presenceOf(callId: string, fetchCall: (callSid: string) => Promise<unknown>): Promise<CallPresence> {
  // Every Twilio call's id is a CallSid: anything else is no call of Twilio's (it would answer 404).
  if (!CALL_SID.test(callId)) return { live: false, reason: 'not-found' };
  let fetched: unknown;
  try {
    fetched = await fetchCall(callId);
  } catch (err) {
    if (err instanceof ProviderError && err.status === 404) return { live: false, reason: 'not-found' };
    throw err;
  }
  const parsed = fetchedCallSchema.safeParse(fetched);
  if (!parsed.success) throw new ProviderError('twilio', ACTION, `Twilio answered a call without a known status`);
  const { status, endTime } = parsed.data;
  if (LIVE_STATUSES.has(status)) return { live: true };
  return { live: false, reason: status, ...(endTime ? { endedAt: endTime } : {}) };
}
