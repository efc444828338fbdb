// Provider reports: a provider's answered/ended events matched to the callback they belong to
// (by the provider's call id, or by our reference when the id was never written down).
import { Types } from 'mongoose';
import type { CallEvent } from '@ringside/shared';
import type { DialerParts, HoldingLegEnd } from './dialer-parts';
import type { Outcomes } from './outcomes';

export class ProviderReports {
  constructor(
    private readonly deps: DialerParts,
    private readonly outcomes: Pick<Outcomes, 'attemptFailed'>,
    /** Tells the dialer's listener that a virtual-hold callback's call ended (nothing when none is set). */
    private readonly holdingLegEnded: (callId: string, reason: string, end: HoldingLegEnd) => Promise<void> | undefined,
  ) {}

  /** Provider events of callback calls; true when the event belonged to a callback. */
  async onProviderEvent(event: CallEvent): Promise<boolean> {
    if (event.type !== 'call.answered' && event.type !== 'call.ended') return false;
    let cb = await this.deps.models.Callback.findOne({ providerCallId: event.callId }).lean();
    if (!cb && event.reference && Types.ObjectId.isValid(event.reference)) {
      // Placed, but its id never written down (the process stopped right after dialing).
      cb = await this.deps.models.Callback.findOneAndUpdate(
        { _id: new Types.ObjectId(event.reference), status: 'dialing', providerCallId: { $exists: false } },
        { $set: { providerCallId: event.callId } },
        { returnDocument: 'after' },
      ).lean();
      // The dialer may have written the id down between the two reads: then it is found by both.
      cb ??= await this.deps.models.Callback.findOne({
        _id: new Types.ObjectId(event.reference),
        providerCallId: event.callId,
      }).lean();
    }
    if (!cb) return false;
    const now = this.deps.clock.now();
    if (event.type === 'call.answered') {
      await this.deps.models.Callback.updateOne(
        { _id: cb._id, status: 'dialing' },
        {
          $set: { status: 'completed' },
          $push: { attempts: { at: now, outcome: 'answered', ...(cb.assignedTo ? { agentId: cb.assignedTo } : {}) } },
        },
      );
      return true;
    }
    const unanswered = cb.status === 'dialing';
    if (unanswered) await this.outcomes.attemptFailed(cb, event.reason);
    if (cb.callId) {
      await this.holdingLegEnded(
        cb.callId,
        unanswered ? `callback not answered (${event.reason})` : 'callback call ended',
        unanswered ? 'callback_unanswered' : 'hangup',
      );
    }
    return true;
  }
}
