// The words a desk shows when a call leaves it without the agent doing it, from what the
// server says happened (`call:ended`'s kind), never from the server's prose.
import type { CallEnded, OfferWithdrawnReason } from '@ringside/shared';
import { formatDateTime } from '../services/format';
import type { DeskCall } from './desk-call';

/** Who is calling, in a few words. */
export function callerLabel(call: Pick<DeskCall, 'pop' | 'offer' | 'callId'>): string {
  return call.pop?.customer?.name ?? call.pop?.caller.raw ?? call.offer?.from ?? 'an unknown caller';
}

/** Words for why an offer left this desk, from what the server says happened (`kind`). */
export function offerGoneNotice(call: DeskCall, ended: CallEnded): string {
  const who = callerLabel(call);
  switch (ended.kind) {
    case 'offer_withdrawn':
      return withdrawnNotice(who, ended.withdrawn);
    case 'callback_postponed':
      return `${who} is outside their calling hours: the callback is now due ${formatDateTime(ended.postponedTo)}.`;
    case 'callback_unanswered':
      return `${who} did not answer the callback.`;
    case 'hangup':
    default:
      // A payload without a kind this console knows is worded as a plain end, never from `reason`.
      return `${who} hung up before the call was answered.`;
  }
}

const WITHDRAWN_WORDS: Record<Exclude<OfferWithdrawnReason, 'declined'>, string> = {
  not_accepted: 'not accepted',
  not_acknowledged: 'not acknowledged',
  console_disconnected: 'console disconnected',
};

function withdrawnNotice(who: string, why: OfferWithdrawnReason): string {
  if (why === 'declined') return `You declined the call from ${who}.`;
  return `The call from ${who} went to another agent (${WITHDRAWN_WORDS[why]}).`;
}
