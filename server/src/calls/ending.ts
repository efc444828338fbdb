// Ending: provider statuses move a call forward only (a late "ringing" never undoes "completed"),
// and the caller's hang-up ends it once, whatever the order of events: wrap-up for a call that
// was talked, abandoned for one that was not (the agent it was offered to is free again).
import { LIVE_CALL_STATES, type Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { Offers } from './offers';

// Provider statuses only move forward: a late "ringing" never undoes "completed".
export const RANK = { 'call.ringing': 1, 'call.answered': 2, 'call.ended': 3 } as const;
const TERMINAL: Call['state'][] = ['ended', 'abandoned', 'wrap_up'];
/** A hang-up in these states abandons the call (no agent talked to the caller). */
const UNANSWERED: Call['state'][] = ['queued', 'routing', 'offered'];
/** An ending call as read: without its pop, which an end never needs. */
type EndedCall = Omit<Call, 'pop'>;

export class Ending {
  constructor(
    private readonly deps: CallParts,
    private readonly offers: Pick<Offers, 'dispatch'>,
  ) {}

  async advanceProviderStatus(callId: string, rank: number, type: string): Promise<boolean> {
    const res = await this.deps.models.Call.updateOne(
      { _id: callId, providerRank: { $lt: rank } },
      { $set: { providerRank: rank, providerStatus: type } },
    );
    return res.modifiedCount === 1;
  }

  /**
   * The provider showed the call is going on (an event, or its answer to the reconciler): it is not
   * asked about until it has been quiet again for a while.
   */
  async seen(callIds: readonly string[], at: Date): Promise<void> {
    if (callIds.length === 0) return;
    await this.deps.models.Call.updateMany(
      { _id: { $in: [...callIds] }, state: { $in: [...LIVE_CALL_STATES] } },
      { $set: { providerSeenAt: at } },
    );
  }

  /**
   * The caller hung up (or the provider ended the call): once, whatever the order of events. True
   * when this report is the one that ended the call. `unansweredTried`: `endedUnanswered` was asked
   * already and found no such call.
   */
  async ended(callId: string, reason: string, at: Date, unansweredTried = false): Promise<boolean> {
    if (!unansweredTried && (await this.endedUnanswered(callId, reason, at)) !== undefined) return true;
    if (!(await this.advanceProviderStatus(callId, RANK['call.ended'], 'call.ended'))) return false;
    this.deps.timers.disarm(`ack:${callId}`);
    this.deps.timers.disarm(`accept:${callId}`);
    return this.end(callId, reason, at);
  }

  /**
   * The usual hang-up: an inbound call still waiting or offered ends as abandoned in one write (its
   * provider status, state and end together) instead of three round trips (status, read, move).
   * The call as it was, or undefined when it is not such a call (then `ended`'s steps decide). A
   * call the provider reports this way is ours, not a callback's outbound leg: CallService asks
   * here before it looks for one.
   */
  async endedUnanswered(callId: string, reason: string, at: Date): Promise<EndedCall | undefined> {
    const call = await this.deps.models.Call.findOneAndUpdate(
      {
        _id: callId,
        providerRank: { $lt: RANK['call.ended'] },
        state: { $in: UNANSWERED },
        virtualHold: { $exists: false },
      },
      {
        $set: {
          providerRank: RANK['call.ended'],
          providerStatus: 'call.ended',
          state: 'abandoned',
          endedAt: at,
          endReason: reason,
        },
      },
      { projection: { pop: 0 }, returnDocument: 'before' },
    ).lean();
    if (!call) return undefined;
    this.deps.timers.disarm(`ack:${callId}`);
    this.deps.timers.disarm(`accept:${callId}`);
    await this.afterEnd(call, 'abandoned', reason, at);
    return call;
  }

  /**
   * A call the provider reported ended whose ending stopped halfway (the process stopped, or the
   * database went away, between the two writes of `ended`): finished the way `ended` finishes. A
   * virtual-hold call is left alone: its caller hung up on purpose, and it keeps its place in line.
   */
  async finishEnded(callId: string, reason: string, at: Date): Promise<boolean> {
    const call = await this.deps.models.Call.findById(callId, { providerRank: 1, virtualHold: 1 }).lean();
    if (!call || call.virtualHold || call.providerRank < RANK['call.ended']) return false;
    this.deps.timers.disarm(`ack:${callId}`);
    this.deps.timers.disarm(`accept:${callId}`);
    return this.end(callId, reason, at);
  }

  /**
   * Moves the call to its end from whatever state it is in now; read again when it moved meanwhile.
   * True when this moved it (false: ended already, or a virtual-hold call that keeps its place).
   */
  private async end(callId: string, reason: string, at: Date): Promise<boolean> {
    const { models } = this.deps;
    const call = await models.Call.findById(callId, { pop: 0 }).lean();
    if (!call || TERMINAL.includes(call.state)) return false;
    if (call.virtualHold && call.state !== 'connecting' && call.state !== 'connected') {
      // The caller hung up after asking for a callback: the call keeps its place in line.
      if (call.interactionId) {
        await models.Interaction.updateOne(
          { _id: call.interactionId },
          { $set: { summary: 'Inbound call: asked to be called back while waiting (kept the place in line)' } },
        );
      }
      return false;
    }
    const talked = call.state === 'connected' || call.state === 'connecting';
    const next: Call['state'] = talked ? 'wrap_up' : 'abandoned';
    const updated = await models.Call.findOneAndUpdate(
      { _id: callId, state: call.state },
      { $set: { state: next, endedAt: at, endReason: reason } },
    ).lean();
    // The state moved meanwhile (an accept went from connecting to connected): read it again. Going
    // through `ended` again would stop at the provider status it has already advanced, and the call
    // would be left connected with its agent never told (found by npm run test:faults).
    if (!updated) return this.end(callId, reason, at);
    await this.afterEnd(call, next, reason, at);
    return true;
  }

  /** What follows a call's end: its timeline entry, its agent, the figures, the next caller in line. */
  private async afterEnd(call: EndedCall, next: 'wrap_up' | 'abandoned', reason: string, at: Date): Promise<void> {
    const { models, clock } = this.deps;
    const callId = call._id;
    const talked = next === 'wrap_up';
    const seconds = Math.max(0, Math.round((at.getTime() - (call.connectedAt ?? call.receivedAt).getTime()) / 1000));
    if (call.interactionId) {
      await models.Interaction.updateOne(
        { _id: call.interactionId },
        {
          $set: {
            durationSec: seconds,
            summary: talked ? `Inbound call, ${seconds}s` : `Missed inbound call (${reason}) after ${seconds}s waiting`,
            ...(call.agentId ? { agentId: call.agentId } : {}),
          },
        },
      );
    }
    if (call.agentId) {
      const agentId = call.agentId.toString();
      if (talked) {
        await this.deps.states.wrapUp(call.agentId, callId);
      } else {
        await this.deps.states.release(call.agentId, callId);
      }
      this.deps.realtime.toUser(agentId).emit('call:ended', {
        callId,
        at: at.toISOString(),
        reason,
        kind: 'hangup',
        ...(talked ? { wrapUp: true } : {}),
      });
    }
    this.deps.logger.info({ callId, reason, state: next }, 'call ended');
    // The day's figures are written in groups (supervisor.service.ts): the next caller does not wait for them.
    await Promise.all([
      next === 'abandoned' ? this.deps.stats.abandoned(call.queue, clock.now()) : undefined,
      talked ? undefined : this.offers.dispatch(call.queue),
    ]);
  }
}
