// Offers: a new call is admitted to its queue (offered at once when nobody waits there),
// waiting calls are dispatched to free agents oldest first, an offer that is not acknowledged
// or accepted in time (or whose console went) moves to the next agent, and an agent's own state
// choices that free or withdraw them. Presence's effects on calls and agents are here too.
import type { Types } from 'mongoose';
import { type QueryFilter } from 'mongoose';
import { CONSOLE_DISCONNECTED, type AgentStatus, type OfferWithdrawnReason } from '@ringside/shared';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { PopDelivery } from './pop-delivery';
import type { User } from '../db/schemas/user.model';
import type { PresenceListener } from '../presence/presence.service';
import type { Reservation } from '../routing/routing.service';
import type { NextState } from '../routing/agent-state';
import { AppError, isDuplicateKey, notFound } from '../errors';

/** A call connecting this long was accepted by a process that did not finish the accept. */
const CONNECT_CUT_SHORT_MS = 5000;
/** A deadline passed this long ago with no timer acting on it: the timer's process is gone. */
const OVERDUE_MARGIN_MS = 3000;
/** Overdue calls moved on per sweep at most (the next sweep takes the rest). */
const SWEEP_BATCH = 200;

/** Why an offer was taken back, as the console is told it. */
const WITHDRAWN = {
  declined: 'declined',
  'not accepted': 'not_accepted',
  'not acknowledged': 'not_acknowledged',
  [CONSOLE_DISCONNECTED]: 'console_disconnected',
} as const satisfies Record<string, OfferWithdrawnReason>;

type Decision = Reservation | 'queued' | 'duplicate';

/** A new call waiting for its queue's turn to be decided. */
interface Arrival {
  call: Call;
  queuedAt: number;
  resolve(decision: Decision): void;
  reject(err: unknown): void;
}

export class Offers implements PresenceListener {
  private readonly dispatching = new Map<string, Promise<void>>();
  /** Per queue: arrivals waiting for the turn in which they are decided together. */
  private readonly arriving = new Map<string, Arrival[]>();

  constructor(
    private readonly deps: CallParts,
    private readonly delivery: Pick<PopDelivery, 'sendOffer'>,
  ) {}

  /**
   * A new call joins its queue. When nobody is waiting there, the agent is reserved first and
   * the call is stored already offered (one write instead of queue → claim → offer); otherwise
   * it waits behind the others. Only the decision is taken in line with the queue's other work
   * (so no call overtakes one that arrived before it); the writes and the pop happen after it.
   * Arrivals that meet in the line are decided together (admitTogether): one turn, their
   * reservations in parallel, instead of one turn of two round trips each, which at 50 calls/s on
   * a loaded database was all the line could carry. False when the call was known already (a
   * repeated webhook).
   */
  async admit(call: Call): Promise<boolean> {
    const { models } = this.deps;
    const decision = await new Promise<Decision>((resolve, reject) => {
      const waiting = this.arriving.get(call.queue);
      const arrival = { call, queuedAt: performance.now(), resolve, reject };
      if (waiting) {
        waiting.push(arrival);
        return;
      }
      const arrivals = [arrival];
      this.arriving.set(call.queue, arrivals);
      // The batch closes when its turn comes: every arrival until then is decided with it.
      void this.serialized(call.queue, async () => {
        if (this.arriving.get(call.queue) === arrivals) this.arriving.delete(call.queue);
        await this.admitTogether(arrivals);
      }).catch((err: unknown) => {
        for (const a of arrivals) a.reject(err);
      });
    });
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

  /**
   * Decides arrivals of one queue in arrival order, in one turn of its line: an agent for each
   * when nobody waits before them, reserved in parallel; from the first that found nobody on, they
   * wait (agents reserved for later arrivals are released: theirs come first), as they would have
   * one by one.
   */
  private async admitTogether(arrivals: Arrival[]): Promise<void> {
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
      await this.dispatchOnce(queue); // an agent may have come free meanwhile
      // Answered after the dispatch, as one by one: the provider hears of a call in its settled state.
      for (const a of stored) a?.resolve('queued');
    } catch (err) {
      for (const a of arrivals) a.reject(err); // those decided already keep their decision
    }
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
        await this.offerTimedOut(call, agentId, why, this.serverLateness(armedAt, armedAt + ms));
      });
    }
  }

  /**
   * How late this process itself was over an offer's wait, ms: its timer fired late, or the event
   * loop stalled in between (an answer that came in time was then read after the deadline).
   */
  private serverLateness(armedAt: number, dueAt: number): number {
    return Math.max(performance.now() - dueAt, this.deps.metrics.health.stalledSince(armedAt));
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

  /**
   * An offer the agent did not acknowledge or accept in time goes to the next agent. A console that
   * stayed silent while this process kept time sets its agent away, so that the next call does not
   * wait on it too. When the process itself was late (stalled, overloaded), the silence may be
   * ours: the call moves on all the same, the agent stays available at the back of the line, and
   * supervisors hear that the server is late. Otherwise a slow server would set every agent away in
   * turn, and calls would wait with agents sitting at their consoles.
   */
  private async offerTimedOut(
    call: Call,
    agentId: Types.ObjectId,
    why: 'not acknowledged' | 'not accepted',
    lateMs: number,
  ): Promise<boolean> {
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
