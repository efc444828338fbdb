// Offer deadlines: an offer not acknowledged or accepted in time moves to the next agent (the
// timers armed when it was made), whether its agent is set away for it (not when the server itself
// was late), a call whose accept was never carried out, and offers whose timers went with a killed
// process (swept by any process).
import type { Types } from 'mongoose';
import { CONSOLE_DISCONNECTED, type OfferWithdrawnReason } from '@ringside/shared';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { NextState } from '../routing/agent-state';

/** A call connecting this long was accepted by a process that did not finish the accept. */
const CONNECT_CUT_SHORT_MS = 5000;
/** A deadline passed this long ago with no timer acting on it: the timer's process is gone. */
const OVERDUE_MARGIN_MS = 3000;
/** Overdue calls moved on per sweep at most (the next sweep takes the rest). */
const SWEEP_BATCH = 200;

/** Why an offer was taken back, as the console is told it. */
export const WITHDRAWN = {
  declined: 'declined',
  'not accepted': 'not_accepted',
  'not acknowledged': 'not_acknowledged',
  [CONSOLE_DISCONNECTED]: 'console_disconnected',
} as const satisfies Record<string, OfferWithdrawnReason>;

/** Takes an offer back and gives the call to the next agent (offers.ts); true when this moved it. */
export type PassOn = (
  callId: string,
  agentId: Types.ObjectId,
  why: keyof typeof WITHDRAWN,
  agentNext: NextState,
  /** False: the agent may be offered this call again (the server, not the agent, was late). */
  passedByAgent?: boolean,
  from?: 'offered' | 'connecting',
) => Promise<boolean>;

export class OfferDeadlines {
  constructor(
    private readonly deps: CallParts,
    private readonly passOn: PassOn,
  ) {}

  /**
   * How late this process itself was over an offer's wait, ms: its timer fired late, or the event
   * loop stalled in between (an answer that came in time was then read after the deadline).
   */
  private serverLateness(armedAt: number, dueAt: number): number {
    return Math.max(performance.now() - dueAt, this.deps.metrics.health.stalledSince(armedAt));
  }

  /**
   * An offer the agent did not acknowledge or accept in time goes to the next agent. A console that
   * stayed silent while this process kept time sets its agent away, so that the next call does not
   * wait on it too. When the process itself was late (stalled, overloaded), the silence may be
   * ours: the call moves on all the same, the agent stays available at the back of the line, and
   * supervisors hear that the server is late. Otherwise a slow server would set every agent away in
   * turn, and calls would wait with agents sitting at their consoles.
   */
  async timedOut(
    call: Call,
    agentId: Types.ObjectId,
    why: 'not acknowledged' | 'not accepted',
    armedAt: number,
    dueAt: number,
  ): Promise<boolean> {
    const lateMs = this.serverLateness(armedAt, dueAt);
    const serverLate = lateMs > this.lateBudgetMs(why);
    const moved = await this.passOn(
      call._id,
      agentId,
      why,
      serverLate ? { status: 'available', backOfTheLine: true } : { status: 'away', reason: `missed call (${why})` },
      !serverLate,
    );
    if (!moved && why === 'not accepted') return this.acceptCutShort(call._id, agentId);
    if (moved) {
      if (serverLate) this.deps.logger.warn({ callId: call._id, lateMs: Math.round(lateMs) }, 'the server was late');
      this.deps.stats.offerMissed({
        agentId: agentId.toString(),
        callId: call._id,
        queue: call.queue,
        why,
        serverLateMs: serverLate ? Math.round(lateMs) : undefined,
        at: this.deps.clock.now(),
      });
    }
    return moved;
  }

  /**
   * The accept timeout found the call still connecting: accepted, but the process carrying out the
   * accept never finished it (it was killed while asking the provider to ring the agent; found by
   * `npm run test:faults`). After CONNECT_CUT_SHORT_MS of connecting the call goes back in line and
   * its agent, who did nothing wrong, stays available; else the caller waited until they hung up.
   */
  private async acceptCutShort(callId: string, agentId: Types.ObjectId): Promise<boolean> {
    const before = new Date(this.deps.clock.now().getTime() - CONNECT_CUT_SHORT_MS);
    const stuck = await this.deps.models.Call.exists({
      _id: callId,
      agentId,
      state: 'connecting',
      acceptedAt: { $lte: before },
    });
    if (!stuck) return false;
    return this.passOn(
      callId,
      agentId,
      'not accepted',
      { status: 'available', backOfTheLine: true },
      false,
      'connecting',
    );
  }

  /**
   * Offers whose deadline passed OVERDUE_MARGIN_MS ago with nobody acting on it: their timers lived
   * only in the memory of a process that is gone (killed right after offering or accepting; found
   * by `npm run test:faults`). Any process may move them on, as the timers would have; the agent,
   * whose console most likely went with that process, stays available at the back of the line. A
   * process that is alive but late races this through the same state-checked write (one wins).
   * Answers how many calls moved.
   */
  async sweepOverdue(): Promise<number> {
    const { models, clock, options } = this.deps;
    const now = clock.now().getTime();
    const ago = (ms: number) => new Date(now - ms - OVERDUE_MARGIN_MS);
    const [offered, connecting] = await Promise.all([
      // Bounded: only calls offered right now (one per reserved agent at most), older than the deadline.
      models.Call.find(
        {
          state: 'offered',
          offeredAt: { $lt: ago(Math.min(options.offerAckTimeoutMs, options.offerAcceptTimeoutMs)) },
        },
        { agentId: 1, offeredAt: 1, offerAckedAt: 1 },
      )
        .limit(SWEEP_BATCH)
        .lean(),
      models.Call.find({ state: 'connecting', acceptedAt: { $lt: ago(CONNECT_CUT_SHORT_MS) } }, { agentId: 1 })
        .limit(SWEEP_BATCH)
        .lean(),
    ]);
    let moved = 0;
    const back = { status: 'available', backOfTheLine: true } as const;
    for (const call of offered) {
      if (!call.agentId || !call.offeredAt) continue;
      const age = now - call.offeredAt.getTime() - OVERDUE_MARGIN_MS;
      const why =
        !call.offerAckedAt && age > options.offerAckTimeoutMs
          ? 'not acknowledged'
          : age > options.offerAcceptTimeoutMs
            ? 'not accepted'
            : undefined;
      if (why && (await this.passOn(call._id, call.agentId, why, back, false))) moved++;
    }
    for (const call of connecting) {
      if (call.agentId && (await this.passOn(call._id, call.agentId, 'not accepted', back, false, 'connecting')))
        moved++;
    }
    if (moved > 0) this.deps.logger.warn({ moved }, 'overdue offers moved on (their process went)');
    return moved;
  }

  /** Lateness of this process that excuses a console (a quarter of the wait, 250 ms to 2 s). */
  private lateBudgetMs(why: 'not acknowledged' | 'not accepted'): number {
    const wait =
      why === 'not acknowledged' ? this.deps.options.offerAckTimeoutMs : this.deps.options.offerAcceptTimeoutMs;
    return Math.min(2000, Math.max(250, wait / 4));
  }
}
