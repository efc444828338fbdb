// Offering: one pass over due work — personal offers nobody took go to the queue, dials the
// provider never heard of are offered again, and due callbacks are claimed and announced.
import type { CallbackAssigned } from '@ringside/shared';
import type { Callback } from '../db/schemas/callback.model';
import { isCallable, nextCallable } from './calling-hours';
import { type DialerParts, timeZoneOf } from './dialer-parts';
import type { Outcomes } from './outcomes';

export class Offering {
  constructor(
    private readonly deps: DialerParts,
    private readonly outcomes: Pick<Outcomes, 'hold'>,
  ) {}

  /** One pass over due work: returns what it did, for logs and tests. */
  async processDue(limit = 500): Promise<{ offered: number; escalated: number; postponed: number }> {
    const { models } = this.deps;
    const now = this.deps.clock.now();
    let offered = 0;
    let escalated = 0;
    let postponed = 0;

    // Personal offers nobody took in time go to the whole queue.
    const stale = await models.Callback.find(
      {
        status: 'offered',
        offerStage: 'agent',
        offeredAt: { $lte: new Date(now.getTime() - this.deps.options.personalOfferMs) },
      },
      { _id: 1 },
    )
      .limit(limit)
      .lean();
    for (const { _id } of stale) {
      const cb = await models.Callback.findOneAndUpdate(
        { _id, status: 'offered', offerStage: 'agent' },
        {
          $set: { offerStage: 'queue', offeredAt: now },
          $unset: { assignedTo: 1 },
          $push: { attempts: { at: now, outcome: 'offered to the queue (agent did not take it)' } },
        },
        { returnDocument: 'after' },
      ).lean();
      if (cb) {
        escalated += 1;
        await this.announce(cb);
      }
    }

    // Dialing with no word from the provider for long: the request never reached it (the
    // process stopped while placing the call). Calls that did reach it report back with our
    // reference, so these are tried again rather than lost.
    const silent = await models.Callback.find({
      status: 'dialing',
      providerCallId: { $exists: false },
      dialingAt: { $lte: new Date(now.getTime() - this.deps.options.silentDialMs) },
    })
      .limit(limit)
      .lean();
    for (const cb of silent) {
      // Never placed: offered again at once (inside calling hours); it did not ring anyone.
      const next = nextCallable(now, await timeZoneOf(models, cb.customerId));
      await models.Callback.updateOne(
        { _id: cb._id, status: 'dialing', providerCallId: { $exists: false } },
        {
          $set: {
            status: 'scheduled',
            dueAt: next,
            ...(cb.personal && cb.requestedBy ? { assignedTo: cb.requestedBy } : {}),
          },
          $unset: { offerStage: 1, offeredAt: 1, dialingAt: 1 },
          $push: { attempts: { at: now, outcome: 'not placed: no word from the provider; offered again' } },
        },
      );
    }

    // What is due, oldest first, in one read (the database builds a query's whole result, so
    // one read per callback would read every due callback again each time); each is then
    // claimed by a conditional update, so another process running the same pass takes nothing twice.
    const due = await models.Callback.find({ status: 'scheduled', dueAt: { $lte: now } })
      .sort({ dueAt: 1 })
      .limit(limit)
      .lean();
    const zones = new Map(
      (
        await models.Customer.find(
          { _id: { $in: [...new Set(due.map((d) => d.customerId.toString()))] } },
          { timeZone: 1 },
        ).lean()
      ).map((c) => [c._id.toString(), c.timeZone]),
    );
    const agents = new Map<string, Promise<string[]>>();
    for (const d of due) {
      const zone = zones.get(d.customerId.toString()) ?? 'UTC';
      if (!isCallable(now, zone)) {
        const res = await models.Callback.updateOne(
          { _id: d._id, status: 'scheduled', dueAt: d.dueAt },
          {
            $set: { dueAt: nextCallable(now, zone) },
            $push: { attempts: { at: now, outcome: 'postponed: outside calling hours' } },
          },
        );
        postponed += res.modifiedCount;
        continue;
      }
      const verdict = await this.deps.guard?.check(d, now, 'offer');
      if (verdict && !verdict.proceed) {
        postponed += await this.outcomes.hold(d, now, verdict);
        continue;
      }
      const stage = d.personal && d.assignedTo ? 'agent' : 'queue';
      const cb = await models.Callback.findOneAndUpdate(
        { _id: d._id, status: 'scheduled', dueAt: d.dueAt },
        { $set: { status: 'offered', offerStage: stage, offeredAt: now } },
        { returnDocument: 'after' },
      ).lean();
      if (!cb) continue; // another process took it, or it changed meanwhile
      offered += 1;
      await this.announce(cb, agents);
    }
    return { offered, escalated, postponed };
  }

  /** Tells the agent (personal) or the queue's agents (everyone with the skill) about an offer. */
  private async announce(cb: Callback, agentsOfQueue = new Map<string, Promise<string[]>>()): Promise<void> {
    const event: CallbackAssigned = {
      callbackId: cb._id.toString(),
      customerId: cb.customerId.toString(),
      dueAt: cb.dueAt.toISOString(),
      reason: cb.reason,
    };
    if (cb.offerStage === 'agent' && cb.assignedTo) {
      this.deps.realtime.toUser(cb.assignedTo.toString()).emit('callback:assigned', event);
      return;
    }
    // The queue's agents, read once per pass.
    let agents = agentsOfQueue.get(cb.queue);
    if (!agents) {
      agents = this.deps.queues
        .get(cb.queue)
        .then((q) => this.deps.models.User.find({ roles: 'agent', skills: q.skill, active: true }, { _id: 1 }).lean())
        .then((found) => found.map((a) => a._id.toString()));
      agentsOfQueue.set(cb.queue, agents);
    }
    for (const id of await agents) this.deps.realtime.toUser(id).emit('callback:assigned', event);
  }
}
