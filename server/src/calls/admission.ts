// Admission: a new call's decision in its queue's line — an agent at once, or a place in line. The
// decision is taken in the queue's turn (no call overtakes one that arrived before it), and every
// arrival that meets in the line is decided in the same turn: one look for anyone waiting before
// them, their agents reserved in parallel. One arrival per turn, two round trips each, was all a
// line carried at 50 calls/s on a loaded database (bench:pop: "wait" mean 3.7 s).
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { Reservation } from '../routing/routing.service';
import { isDuplicateKey } from '../errors';

/** An agent reserved for the call; or it waits in line; or it was known already (a repeated webhook). */
export type Decision = Reservation | 'queued' | 'duplicate';

/** A new call waiting for its queue's turn to be decided. */
interface Arrival {
  call: Call;
  queuedAt: number;
  resolve(decision: Decision): void;
  reject(err: unknown): void;
}

/** What admission needs of the queue's line (offers.ts). */
export interface QueueLine {
  /** Runs `work` in the queue's turn, after the work before it. */
  serialized<T>(queue: string, work: () => Promise<T>): Promise<T>;
  /** Offers waiting calls to free agents (in the caller's turn). */
  dispatchOnce(queue: string): Promise<void>;
}

export class Admission {
  /** Per queue: arrivals waiting for the turn in which they are decided together. */
  private readonly arriving = new Map<string, Arrival[]>();

  constructor(
    private readonly deps: CallParts,
    private readonly line: QueueLine,
  ) {}

  /** The call's decision, taken in its queue's turn with every arrival that joined it meanwhile. */
  decide(call: Call): Promise<Decision> {
    return new Promise<Decision>((resolve, reject) => {
      const waiting = this.arriving.get(call.queue);
      const arrival = { call, queuedAt: performance.now(), resolve, reject };
      if (waiting) {
        waiting.push(arrival);
        return;
      }
      const arrivals = [arrival];
      this.arriving.set(call.queue, arrivals);
      // The batch closes when its turn comes: every arrival until then is decided with it.
      void this.line
        .serialized(call.queue, async () => {
          if (this.arriving.get(call.queue) === arrivals) this.arriving.delete(call.queue);
          await this.decideTogether(arrivals);
        })
        .catch((err: unknown) => {
          for (const a of arrivals) a.reject(err);
        });
    });
  }

  /**
   * Decides arrivals of one queue in arrival order, in one turn of its line: an agent for each
   * when nobody waits before them, reserved in parallel; from the first that found nobody on, they
   * wait (agents reserved for later arrivals are released: theirs come first), as they would have
   * one by one.
   */
  private async decideTogether(arrivals: Arrival[]): Promise<void> {
    const { models } = this.deps;
    const stage = this.deps.metrics.popStage;
    const t0 = performance.now();
    for (const a of arrivals) stage.observe({ stage: 'wait' }, (t0 - a.queuedAt) / 1000);
    const queue = arrivals[0]?.call.queue ?? '';
    try {
      const [waiting, ...reservations] = await Promise.all([
        models.Call.exists({ state: { $in: ['queued', 'routing'] }, queue }),
        ...arrivals.map((a) => this.deps.routing.reserve(a.call)),
      ]);
      stage.observe({ stage: 'reserve' }, (performance.now() - t0) / 1000);
      const firstUnserved = waiting ? 0 : reservations.findIndex((r) => !r);
      const served = firstUnserved === -1 ? arrivals.length : firstUnserved;
      const toQueue: Arrival[] = [];
      for (const [i, a] of arrivals.entries()) {
        const reservation = reservations[i];
        if (i < served && reservation) {
          a.resolve(reservation);
          continue;
        }
        if (reservation) await this.deps.states.release(reservation.agent._id, a.call._id); // earlier callers first
        toQueue.push(a);
      }
      if (toQueue.length === 0) return;
      const stored = await Promise.all(
        toQueue.map(async (a) => {
          try {
            await models.Call.create(a.call);
            return a;
          } catch (err) {
            if (isDuplicateKey(err)) a.resolve('duplicate');
            else a.reject(err);
            return undefined;
          }
        }),
      );
      await this.line.dispatchOnce(queue); // an agent may have come free meanwhile
      // Answered after the dispatch, as one by one: the provider hears of a call in its settled state.
      for (const a of stored) a?.resolve('queued');
    } catch (err) {
      for (const a of arrivals) a.reject(err); // those decided already keep their decision
    }
  }
}
