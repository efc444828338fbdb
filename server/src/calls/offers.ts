// Offers: a new call is admitted to its queue (offered at once when nobody waits there),
// waiting calls are dispatched to free agents oldest first, an offer that is not acknowledged
// or accepted in time (or whose console went) moves to the next agent, and an agent's own state
// choices that free or withdraw them. Presence's effects on calls and agents are here too.
import type { Types } from 'mongoose';
import { type QueryFilter } from 'mongoose';
import { CONSOLE_DISCONNECTED, type AgentStatus } from '@ringside/shared';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { PopDelivery } from './pop-delivery';
import type { User } from '../db/schemas/user.model';
import type { PresenceListener } from '../presence/presence.service';
import type { Reservation } from '../routing/routing.service';
import type { NextState } from '../routing/agent-state';
import { AppError, isDuplicateKey, notFound } from '../errors';
import { Admission } from './admission';
import { OfferDeadlines, WITHDRAWN } from './offer-deadlines';

export class Offers implements PresenceListener {
  private readonly dispatching = new Map<string, Promise<void>>();
  private readonly admission: Admission;
  private readonly deadlines: OfferDeadlines;

  constructor(
    private readonly deps: CallParts,
    private readonly delivery: Pick<PopDelivery, 'sendOffer'>,
  ) {
    this.admission = new Admission(deps, {
      serialized: (queue, work) => this.serialized(queue, work),
      dispatchOnce: (queue) => this.dispatchOnce(queue),
    });
    this.deadlines = new OfferDeadlines(deps, (callId, agentId, why, next, passedByAgent, from) =>
      this.passOn(callId, agentId, why, next, passedByAgent, from),
    );
  }

  /**
   * A new call joins its queue. When nobody is waiting there, the agent is reserved first and
   * the call is stored already offered (one write instead of queue → claim → offer); otherwise
   * it waits behind the others. Only the decision is taken in line with the queue's other work
   * (so no call overtakes one that arrived before it); the writes and the pop happen after it.
   * Arrivals that meet in the line are decided together (admission.ts): one turn, their
   * reservations in parallel, instead of one turn of two round trips each, which at 50 calls/s on
   * a loaded database was all the line could carry. False when the call was known already (a
   * repeated webhook).
   */
  async admit(call: Call): Promise<boolean> {
    const { models } = this.deps;
    const decision = await this.admission.decide(call);
    if (decision === 'duplicate') return false;
    if (decision === 'queued') return true;
    const stage = this.deps.metrics.popStage;
    const now = this.deps.clock.now();
    const agentId = decision.agent._id;
    const offered: Call = {
      ...call,
      state: 'offered',
      agentId,
      offeredAt: now,
      routingReason: decision.reason,
      offers: [{ agentId, at: now, reason: decision.reason }],
    };
    const t1 = performance.now();
    try {
      await models.Call.create(offered);
    } catch (err) {
      await this.deps.states.release(agentId, call._id);
      if (isDuplicateKey(err)) return false;
      throw err;
    }
    stage.observe({ stage: 'store' }, (performance.now() - t1) / 1000);
    await this.offered(offered, decision);
    return true;
  }

  /** Runs one step of a queue's work after the previous one: arrivals and dispatch keep their order. */
  private serialized<T>(queue: string, work: () => Promise<T>): Promise<T> {
    const previous = this.dispatching.get(queue) ?? Promise.resolve();
    const result = previous.then(work);
    const next = result.then(
      () => undefined,
      () => undefined,
    );
    this.dispatching.set(queue, next);
    void next.finally(() => {
      if (this.dispatching.get(queue) === next) this.dispatching.delete(queue);
    });
    return result;
  }

  /**
   * Offers waiting calls of a queue to free agents, oldest first. Serialized per queue in this
   * process; across processes every claim is an atomic update, so nothing is double-booked.
   */
  async dispatch(queue: string): Promise<void> {
    try {
      // Nobody waiting (the usual case): no turn in the queue's line, where arrivals wait behind
      // it. Safe without the turn: whoever frees an agent wrote that before this read, and a call
      // queued after this read is followed by its own dispatch (admit), which sees that agent. A
      // call being routed counts as waiting: its dispatch may find nobody and put it back.
      if (!(await this.deps.models.Call.exists({ state: { $in: ['queued', 'routing'] }, queue }))) return;
      await this.serialized(queue, () => this.dispatchOnce(queue));
    } catch (err) {
      this.deps.logger.error({ err, queue }, 'dispatch failed');
    }
  }

  private async dispatchOnce(queue: string): Promise<void> {
    const { models } = this.deps;
    for (;;) {
      const call = await models.Call.findOneAndUpdate(
        { state: 'queued', queue },
        { $set: { state: 'routing' } },
        { sort: { receivedAt: 1, seq: 1 }, returnDocument: 'after' },
      ).lean();
      if (!call) return;
      const reservation = await this.deps.routing.reserve(call);
      if (!reservation) {
        await models.Call.updateOne({ _id: call._id, state: 'routing' }, { $set: { state: 'queued' } });
        this.deps.metrics.setWaiting(queue, await this.waitingCount(queue));
        this.deps.stats.changed();
        return;
      }
      await this.offer(call, reservation);
      this.deps.stats.changed();
    }
  }

  private async waitingCount(queue: string): Promise<number> {
    // Bounded: a queue is short, and this is only for the gauge.
    return this.deps.models.Call.countDocuments({ state: 'queued', queue }, { limit: 10_000 });
  }

  private async offer(call: Call, reservation: Reservation): Promise<void> {
    const { models, clock } = this.deps;
    const agentId = reservation.agent._id;
    const now = clock.now();
    const updated = await models.Call.findOneAndUpdate(
      { _id: call._id, state: 'routing' },
      {
        $set: { state: 'offered', agentId, offeredAt: now, routingReason: reservation.reason },
        $unset: { offerAckedAt: 1 },
        $push: { offers: { agentId, at: now, reason: reservation.reason } },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) {
      // The caller hung up while we were routing.
      await this.deps.states.release(agentId, call._id);
      return;
    }
    await this.offered(updated, reservation);
  }

  /** The call is stored as offered to the reserved agent: pop to the agent's room, timers armed. */
  private async offered(call: Call, reservation: Reservation): Promise<void> {
    const agentId = reservation.agent._id;
    if (call.virtualHold) {
      await this.deps.models.Callback.updateOne(
        { _id: call.virtualHold.callbackId, status: 'holding' },
        {
          $set: {
            status: 'offered',
            offerStage: 'agent',
            assignedTo: agentId,
            offeredAt: call.offeredAt ?? this.deps.clock.now(),
          },
        },
      );
    }
    this.deps.logger.info(
      {
        callId: call._id,
        agentId: agentId.toString(),
        reason: reservation.reason,
        virtualHold: Boolean(call.virtualHold),
      },
      'call offered',
    );
    this.deps.states.offered(agentId.toString(), call.offeredAt ?? this.deps.clock.now());
    await this.delivery.sendOffer(call, (event, pop, ack) =>
      this.deps.realtime
        .toUser(agentId.toString())
        .timeout(this.deps.options.offerAckTimeoutMs)
        .emit(event, pop, (err, responses) => {
          ack(err, responses);
          if (!err && Array.isArray(responses) && responses.length === 0) void this.unreached(call._id, agentId);
        }),
    );
    const armedAt = performance.now();
    for (const [key, ms, why] of [
      ['ack', this.deps.options.offerAckTimeoutMs, 'not acknowledged'],
      ['accept', this.deps.options.offerAcceptTimeoutMs, 'not accepted'],
    ] as const) {
      this.deps.timers.arm(`${key}:${call._id}`, ms, async () => {
        await this.deadlines.timedOut(call, agentId, why, armedAt, armedAt + ms);
      });
    }
  }

  /**
   * The pop reached no console of the agent: none is connected anywhere this process can reach
   * (the console went and presence has not marked it yet, or its server process was killed, or Redis
   * is away and the console is on another process). The call goes to the next agent at once instead
   * of after the acknowledgement timeout, and the agent, who missed nothing, stays available behind
   * the others; before, they were set away for a "missed call" that their console never showed
   * (found by `npm run test:faults`: after a Redis restart the consoles on the other process sat away
   * without knowing it, their state changes lost with Redis).
   */
  private async unreached(callId: string, agentId: Types.ObjectId): Promise<void> {
    try {
      await this.passOn(callId, agentId, CONSOLE_DISCONNECTED, { status: 'available', backOfTheLine: true });
    } catch (err) {
      this.deps.logger.error({ err, callId }, 'moving an offer that reached no console failed');
    }
  }

  /** Offers whose deadline passed unseen (their process went) move on (offer-deadlines.ts). */
  sweepOverdue(): Promise<number> {
    return this.deadlines.sweepOverdue();
  }

  /** Takes an offer back from an agent and gives the call to the next one, keeping its place in line. */
  private async passOn(
    callId: string,
    agentId: Types.ObjectId,
    why: keyof typeof WITHDRAWN,
    agentNext: NextState,
    /** False: the agent may be offered this call again (the server, not the agent, was late). */
    passedByAgent = true,
    from: 'offered' | 'connecting' = 'offered',
  ): Promise<boolean> {
    const { models, clock } = this.deps;
    const filter: QueryFilter<Call> = { _id: callId, agentId, state: from };
    if (why === 'not acknowledged') filter.offerAckedAt = { $exists: false };
    const call = await models.Call.findOneAndUpdate(
      filter,
      {
        $set: { state: 'queued', 'offers.$[last].outcome': why },
        $unset: { agentId: 1, offeredAt: 1 },
        ...(passedByAgent ? { $addToSet: { passedBy: agentId } } : {}),
      },
      { returnDocument: 'after', arrayFilters: [{ 'last.agentId': agentId, 'last.outcome': { $exists: false } }] },
    ).lean();
    if (!call) return false;
    this.deps.timers.disarm(`ack:${callId}`);
    this.deps.timers.disarm(`accept:${callId}`);
    if (call.virtualHold) {
      await models.Callback.updateOne(
        { _id: call.virtualHold.callbackId, status: 'offered' },
        { $set: { status: 'holding' }, $unset: { assignedTo: 1, offerStage: 1, offeredAt: 1 } },
      );
    }
    this.deps.logger.warn({ callId, agentId: agentId.toString(), why }, 'offer moved on');
    await this.deps.states.offerTakenBack(agentId, callId, agentNext);
    const now = clock.now();
    this.deps.realtime.toUser(agentId.toString()).emit('call:ended', {
      callId,
      at: now.toISOString(),
      reason: `offer withdrawn: ${why}`,
      kind: 'offer_withdrawn',
      withdrawn: WITHDRAWN[why],
    });
    await this.dispatch(call.queue);
    return true;
  }

  /**
   * The agent's own state change (or a supervisor's for an agent). An agent holding an offer
   * who changes state declines it: the call goes to the next agent.
   */
  async setAgentStatus(
    agentId: string,
    status: AgentStatus,
    reason?: string,
    opts: { onlyIf?: QueryFilter<User> } = {},
  ): Promise<{ status: AgentStatus; since: Date }> {
    const current = await this.deps.states.read(agentId);
    if (!current) throw notFound('agent');
    if (current.state.status === 'reserved' && current.state.callId) {
      await this.passOn(current.state.callId, current._id, 'declined', { status, ...(reason ? { reason } : {}) });
    }
    const { since, skills } = await this.deps.states.choose(agentId, status, reason, opts.onlyIf);
    if (status === 'available') await this.dispatchFor(current._id, skills);
    return { status, since };
  }

  /** An agent came free: the queues of their skills, and calls waiting for them as owner, are served. */
  private async dispatchFor(agentOid: Types.ObjectId, skills: string[]): Promise<void> {
    const queues = new Set((await this.deps.queues.all()).filter((q) => skills.includes(q.skill)).map((q) => q.name));
    const owned: string[] = await this.deps.models.Call.distinct('queue', { state: 'queued', ownerId: agentOid });
    for (const q of owned) queues.add(q);
    for (const q of queues) await this.dispatch(q);
  }

  /**
   * Presence: the agent's last console went. Routing stops offering them calls at once; an
   * offer they hold moves on unless a console is back within the offer's acknowledgement time
   * (a reload, a brief network loss: the pop is replayed to it).
   */
  async consoleLost(agentId: string): Promise<void> {
    const { models, options } = this.deps;
    const agent = await this.deps.states.read(agentId);
    if (!agent) return;
    this.deps.states.presenceChanged(agentId, agent.state, false);
    const callId = agent.state.status === 'reserved' ? agent.state.callId : undefined;
    if (!callId) return;
    const agentOid = agent._id;
    this.deps.timers.arm(
      `console:${agentId}`,
      Math.min(options.offerAckTimeoutMs, options.consoleGraceMs),
      async () => {
        const now = await models.User.findById(agentOid, { 'console.connected': 1 }).lean();
        if (now?.console?.connected === true) return;
        await this.passOn(callId, agentOid, CONSOLE_DISCONNECTED, { status: 'available' });
      },
    );
  }

  /** Presence: a console is back within the grace. The state holds; a free agent gets waiting calls. */
  async consoleBack(agentId: string): Promise<void> {
    this.deps.timers.disarm(`console:${agentId}`);
    const agent = await this.deps.states.read(agentId);
    if (!agent) return;
    this.deps.states.presenceChanged(agentId, agent.state, true);
    // Waiting calls come after the console has heard its own state, not before.
    if (agent.state.status === 'available') {
      void this.dispatchFor(agent._id, agent.skills).catch((err: unknown) =>
        this.deps.logger.error({ err, agentId }, 'dispatch after a console came back failed'),
      );
    }
  }

  /** Presence: no console for longer than the grace: offline until the agent chooses again. */
  async consoleExpired(agentId: string, whileDisconnected: boolean): Promise<void> {
    this.deps.timers.disarm(`console:${agentId}`);
    try {
      await this.setAgentStatus(
        agentId,
        'offline',
        CONSOLE_DISCONNECTED,
        whileDisconnected ? { onlyIf: { 'console.connected': { $ne: true } } } : {},
      );
    } catch (err) {
      if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) return; // on a call, connected again, or gone
      throw err;
    }
  }
}
