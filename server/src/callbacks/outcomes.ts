// Outcomes: what is written down when a callback cannot go ahead — refused by its guard (later or
// never), or an attempt that failed (again later inside calling hours, or failed after the cap).
import type { Callback } from '../db/schemas/callback.model';
import { nextCallable } from './calling-hours';
import { type DialerParts, timeZoneOf } from './dialer-parts';

export class Outcomes {
  constructor(private readonly deps: DialerParts) {}

  /** A callback its guard refused: later (back to scheduled) or not at all (cancelled). */
  async hold(cb: Callback, now: Date, verdict: { reason: string; postponeTo?: Date }): Promise<number> {
    const res = await this.deps.models.Callback.updateOne(
      { _id: cb._id, status: { $in: ['scheduled', 'offered'] } },
      verdict.postponeTo
        ? {
            $set: { status: 'scheduled', dueAt: verdict.postponeTo },
            $unset: { offerStage: 1, offeredAt: 1 },
            $push: { attempts: { at: now, outcome: `postponed: ${verdict.reason}` } },
          }
        : { $set: { status: 'cancelled' }, $push: { attempts: { at: now, outcome: `cancelled: ${verdict.reason}` } } },
    );
    return verdict.postponeTo ? res.modifiedCount : 0;
  }

  /** No answer, busy or failed: again later (inside calling hours), or failed after the cap. */
  async attemptFailed(cb: Callback, outcome: string): Promise<void> {
    const { options } = this.deps;
    const now = this.deps.clock.now();
    const tries = cb.attempts.filter((a) => a.outcome === 'dialing').length;
    if (tries >= options.maxAttempts) {
      await this.deps.models.Callback.updateOne(
        { _id: cb._id, status: 'dialing' },
        {
          $set: { status: 'failed' },
          $unset: { providerCallId: 1 },
          $push: { attempts: { at: now, outcome: `${outcome}; gave up after ${tries} attempts` } },
        },
      );
      return;
    }
    const wait = options.backoffMs[Math.min(tries - 1, options.backoffMs.length - 1)] ?? 15 * 60_000;
    const next = nextCallable(new Date(now.getTime() + wait), await timeZoneOf(this.deps.models, cb.customerId));
    await this.deps.models.Callback.updateOne(
      { _id: cb._id, status: 'dialing' },
      {
        $set: {
          status: 'scheduled',
          dueAt: next,
          ...(cb.personal && cb.requestedBy ? { assignedTo: cb.requestedBy } : {}),
        },
        $unset: { providerCallId: 1, offerStage: 1, offeredAt: 1 },
        $push: { attempts: { at: now, outcome: `${outcome}; next attempt ${next.toISOString()}` } },
      },
    );
  }
}
