// The waiting line: what a caller in line hears (position, estimated wait), and virtual hold:
// after the queue's threshold, pressing 1 keeps the place in line with a callback.
import type { QueryFilter } from 'mongoose';
import type { CallInstruction } from '@ringside/telephony';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';

export class WaitingLine {
  constructor(private readonly deps: CallParts) {}

  /** A caller in line hears where they stand; after the queue's threshold, the callback offer. */
  async waitingInstruction(callId: string): Promise<CallInstruction> {
    const { models, clock } = this.deps;
    const call = await models.Call.findById(callId, {
      state: 1,
      queue: 1,
      receivedAt: 1,
      seq: 1,
      customerId: 1,
      fromE164: 1,
      virtualHold: 1,
    }).lean();
    if (!call || (call.state !== 'queued' && call.state !== 'routing' && call.state !== 'offered'))
      return { kind: 'hold' };
    const queue = await this.deps.queues.get(call.queue);
    // Offered: an agent's console is deciding; the caller hears music and is asked about again.
    if (call.state === 'offered') return { kind: 'hold', nextCheckSec: queue.announceEverySec };
    // Two indexed ranges (an `$or` would make the database read every call ever stored).
    const line: QueryFilter<Call> = { state: { $in: ['queued', 'routing'] }, queue: call.queue };
    const [before, sameMoment] = await Promise.all([
      models.Call.countDocuments({ ...line, receivedAt: { $lt: call.receivedAt } }, { limit: 10_000 }),
      models.Call.countDocuments({ ...line, receivedAt: call.receivedAt, seq: { $lt: call.seq } }, { limit: 10_000 }),
    ]);
    const position = before + sameMoment + 1;
    const waitedSec = (clock.now().getTime() - call.receivedAt.getTime()) / 1000;
    const offerCallback = this.mayOfferCallback(call, queue.callbackAfterSec, waitedSec);
    return {
      kind: 'hold',
      wait: { position, etaSec: await this.estimateWait(queue, position) },
      offerCallback,
      nextCheckSec: queue.announceEverySec,
    };
  }

  private mayOfferCallback(
    call: Pick<Call, 'customerId' | 'fromE164' | 'virtualHold'>,
    afterSec: number,
    waitedSec: number,
  ): boolean {
    return Boolean(
      this.deps.callbacks &&
      call.customerId &&
      call.fromE164 &&
      !call.virtualHold &&
      afterSec > 0 &&
      waitedSec >= afterSec,
    );
  }

  /**
   * Estimated wait for the n-th caller in line: n × today's average handle time ÷ agents logged
   * in with the skill (3 minutes when nothing was handled yet today); null when nobody is.
   */
  private async estimateWait(queue: { name: string; skill: string }, position: number): Promise<number | null> {
    const { models, clock } = this.deps;
    const day = clock.now().toISOString().slice(0, 10);
    const [stats, staffed] = await Promise.all([
      models.QueueDayStats.findById(`${queue.name}:${day}`, { handled: 1, handleSecSum: 1 }).lean(),
      models.User.countDocuments(
        {
          'state.status': { $in: ['available', 'reserved', 'on_call', 'wrap_up'] },
          skills: queue.skill,
          roles: 'agent',
          active: true,
        },
        { limit: 10_000 },
      ),
    ]);
    if (staffed === 0) return null;
    const aht = stats?.handled ? (stats.handleSecSum ?? 0) / stats.handled : 180;
    return Math.round((position * aht) / staffed);
  }

  /**
   * Virtual hold: a caller in line pressed 1. A callback keeps the call's place in its queue
   * (the call stays in line, without a caller); the caller hears a confirmation and hangs up.
   */
  async keyPressed(callId: string, digit: string): Promise<CallInstruction> {
    const { models, clock } = this.deps;
    const call = await models.Call.findById(callId).lean();
    if (!call || (call.state !== 'queued' && call.state !== 'routing')) return { kind: 'hold' };
    const queue = await this.deps.queues.get(call.queue);
    const waitedSec = (clock.now().getTime() - call.receivedAt.getTime()) / 1000;
    if (
      digit !== '1' ||
      !this.mayOfferCallback(call, queue.callbackAfterSec, waitedSec) ||
      !this.deps.callbacks ||
      !call.customerId ||
      !call.fromE164
    ) {
      return this.waitingInstruction(callId);
    }
    const customer = await models.Customer.findById(call.customerId, { timeZone: 1 }).lean();
    if (!customer) return this.waitingInstruction(callId);
    const now = clock.now();
    const { callback } = await this.deps.callbacks.scheduleFor({
      customer,
      phone: call.fromE164,
      queue: call.queue,
      reason: 'Asked to be called back while waiting in line',
      source: 'virtual_hold',
      dueAt: now,
      naturalKey: `virtual-hold|${callId}`,
      status: 'holding',
      callId,
    });
    const kept = await models.Call.updateOne(
      { _id: callId, state: { $in: ['queued', 'routing'] }, virtualHold: { $exists: false } },
      { $set: { virtualHold: { at: now, callbackId: callback._id, phone: call.fromE164 } } },
    );
    if (kept.modifiedCount === 0) {
      // An agent is being offered the call right now: the caller stays on the line.
      await models.Callback.updateOne(
        { _id: callback._id, status: 'holding' },
        {
          $set: { status: 'cancelled' },
          $push: { attempts: { at: now, outcome: 'not needed: an agent took the call' } },
        },
      );
      return { kind: 'hold' };
    }
    this.deps.logger.info(
      { callId, callbackId: callback._id.toString(), queue: call.queue },
      'virtual hold: callback keeps the place in line',
    );
    this.deps.stats.changed();
    return { kind: 'goodbye', reason: 'callback-confirmed' };
  }
}
