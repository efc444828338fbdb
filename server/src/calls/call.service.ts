import { Types, type QueryFilter } from 'mongoose';
import { CONSOLE_DISCONNECTED, type AgentStatus, type CallEvent, type CallOffered, type CallWrapup, type Provider, type ScreenPop } from '@ringside/shared';
import type { CallInstruction, TelephonyProvider } from '@ringside/telephony';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime, RingsideSocket } from '../realtime/gateway';
import type { Metrics } from '../metrics/metrics';
import type { Call } from './call.model';
import type { User } from '../auth/user.model';

import { resolveCaller, rememberChoice } from './caller-resolution';
import { buildScreenPop, identityOnly } from '../screen-pop/screen-pop.service';
import { Routing, type Reservation } from '../routing/routing.service';
import { QueueDirectory } from '../routing/queues';
import { AppError, conflict, forbidden, isDuplicateKey, notFound } from '../errors';
import type { CustomerService } from '../customers/customers.service';
import type { CallStatsSink } from '../supervisor/supervisor.service';
import type { CallbackService } from '../callbacks/callbacks.service';
import type { CallbackDialer } from '../callbacks/callback-dialer';

export interface CallServiceOptions {
  defaultCountry: string;
  /** How long the agent's console has to acknowledge a pop before the call moves on. */
  offerAckTimeoutMs: number;
  /** How long an agent has to accept an offered call before it moves on. */
  offerAcceptTimeoutMs: number;
  /** How long an agent's state outlives their last console (presence). */
  consoleGraceMs: number;
}

export interface CallServiceDeps {
  models: Models;
  clock: Clock;
  logger: Logger;
  realtime: Realtime;
  providers: Partial<Record<Provider, TelephonyProvider>>;
  metrics: Metrics;
  options: CallServiceOptions;
  /** Portfolio rules: may this agent see this customer? */
  customers: Pick<CustomerService, 'canSee' | 'restrictedToPortfolio'>;
  /** Supervisors' live figures. */
  stats: CallStatsSink;
  /** The queues (configured in the database). */
  queues?: QueueDirectory;
  /** Virtual hold: the callback that keeps a caller's place, and the dialer that makes it. */
  callbacks?: Pick<CallbackService, 'scheduleFor'>;
  dialer?: Pick<CallbackDialer, 'dialHolding'>;
  /** Outbound calls placed for callbacks: their events go there (true = handled). */
  outbound?: (event: CallEvent) => Promise<boolean>;
}

// Provider statuses only move forward: a late "ringing" never undoes "completed".
const RANK = { 'call.ringing': 1, 'call.answered': 2, 'call.ended': 3 } as const;
const TERMINAL: Call['state'][] = ['ended', 'abandoned', 'wrap_up'];

/**
 * The inbound call path: provider event → caller resolution → pop → atomic reservation →
 * pop on the agent's screen (acknowledged) → the provider connects the caller on accept.
 */
export class CallService {
  private readonly routing: Routing;
  private readonly queues: QueueDirectory;
  private readonly dispatching = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private seq = 0;

  constructor(private readonly deps: CallServiceDeps) {
    this.routing = new Routing(deps.models, deps.clock, { logger: deps.logger });
    this.queues = deps.queues ?? new QueueDirectory(deps.models, { defaultCountry: deps.options.defaultCountry });
  }

  /** Every provider's events arrive here. */
  async handleEvent(event: CallEvent): Promise<CallInstruction | void> {
    if (event.type !== 'call.incoming' && (await this.deps.outbound?.(event))) return;
    switch (event.type) {
      case 'call.incoming':
        return this.incoming(event);
      case 'call.ringing':
      case 'call.answered':
        await this.advanceProviderStatus(event.callId, RANK[event.type], event.type);
        return;
      case 'call.ended':
        return this.ended(event.callId, event.reason, event.at);
      case 'call.dtmf':
        return this.keyPressed(event.callId, event.digit);
      case 'call.waiting':
        return this.waitingInstruction(event.callId);
    }
  }

  /** A caller in line hears where they stand; after the queue's threshold, the callback offer. */
  private async waitingInstruction(callId: string): Promise<CallInstruction> {
    const { models, clock } = this.deps;
    const call = await models.Call.findById(callId, { state: 1, queue: 1, receivedAt: 1, seq: 1, customerId: 1, fromE164: 1, virtualHold: 1 }).lean();
    if (!call || (call.state !== 'queued' && call.state !== 'routing' && call.state !== 'offered')) return { kind: 'hold' };
    const queue = await this.queues.get(call.queue);
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
    return { kind: 'hold', wait: { position, etaSec: await this.estimateWait(queue, position) }, offerCallback, nextCheckSec: queue.announceEverySec };
  }

  private mayOfferCallback(call: Pick<Call, 'customerId' | 'fromE164' | 'virtualHold'>, afterSec: number, waitedSec: number): boolean {
    return Boolean(this.deps.callbacks && call.customerId && call.fromE164 && !call.virtualHold && afterSec > 0 && waitedSec >= afterSec);
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
      models.User.countDocuments({ 'state.status': { $in: ['available', 'reserved', 'on_call', 'wrap_up'] }, skills: queue.skill, roles: 'agent', active: true }, { limit: 10_000 }),
    ]);
    if (staffed === 0) return null;
    const aht = stats?.handled ? (stats.handleSecSum ?? 0) / stats.handled : 180;
    return Math.round((position * aht) / staffed);
  }

  /**
   * Virtual hold: a caller in line pressed 1. A callback keeps the call's place in its queue
   * (the call stays in line, without a caller); the caller hears a confirmation and hangs up.
   */
  private async keyPressed(callId: string, digit: string): Promise<CallInstruction> {
    const { models, clock } = this.deps;
    const call = await models.Call.findById(callId).lean();
    if (!call || (call.state !== 'queued' && call.state !== 'routing')) return { kind: 'hold' };
    const queue = await this.queues.get(call.queue);
    const waitedSec = (clock.now().getTime() - call.receivedAt.getTime()) / 1000;
    if (digit !== '1' || !this.mayOfferCallback(call, queue.callbackAfterSec, waitedSec) || !this.deps.callbacks || !call.customerId || !call.fromE164) {
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
      await models.Callback.updateOne({ _id: callback._id, status: 'holding' }, { $set: { status: 'cancelled' }, $push: { attempts: { at: now, outcome: 'not needed: an agent took the call' } } });
      return { kind: 'hold' };
    }
    this.deps.logger.info({ callId, callbackId: callback._id.toString(), queue: call.queue }, 'virtual hold: callback keeps the place in line');
    this.deps.stats.changed();
    return { kind: 'goodbye', reason: 'callback-confirmed' };
  }

  private async incoming(event: Extract<CallEvent, { type: 'call.incoming' }>): Promise<CallInstruction> {
    const log = this.deps.logger.child({ callId: event.callId, provider: event.provider });
    const { models } = this.deps;
    const started = performance.now();
    const resolution = await resolveCaller(models, event.from, this.deps.options.defaultCountry);
    const pop = await buildScreenPop(models, {
      callId: event.callId,
      receivedAt: event.at,
      caller: { raw: event.from, e164: resolution.e164 },
      resolution,
      now: this.deps.clock.now(),
    });
    const queue = await this.queues.forCall({ to: event.to, hasDunningCase: pop.dunning !== undefined });
    const customer = resolution.customer;
    const interactionId = new Types.ObjectId();
    const call: Call = {
      _id: event.callId,
      provider: event.provider,
      direction: 'inbound',
      from: event.from,
      fromE164: resolution.e164,
      to: event.to,
      receivedAt: event.at,
      seq: ++this.seq,
      state: 'queued',
      queue: queue.name,
      skill: queue.skill,
      ...(customer ? { customerId: customer._id } : {}),
      ...(customer?.ownerId ? { ownerId: customer.ownerId } : {}),
      match: resolution.match,
      pop,
      popBuiltMs: Math.round((performance.now() - started) * 100) / 100,
      passedBy: [],
      offers: [],
      providerStatus: 'ringing',
      providerRank: 0,
      interactionId,
    };
    const stage = this.deps.metrics.popStage;
    stage.observe({ stage: 'resolve+build' }, call.popBuiltMs / 1000);
    // The pop is on the agent's screen before the provider is told anything; the records
    // that nobody waits for are written alongside, not before it.
    const [admitted] = await Promise.all([
      this.admit(call),
      models.Interaction.create({
        _id: interactionId,
        ...(customer ? { customerId: customer._id } : {}),
        type: 'call',
        direction: 'inbound',
        at: event.at,
        callId: event.callId,
        summary: `Inbound call from ${event.from || 'an unknown number'}`,
      }).catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err; // the same webhook twice: one interaction
      }),
    ]);
    if (!admitted) {
      log.info('duplicate incoming event; call already known'); // a webhook delivered twice
      return { kind: 'hold' };
    }
    this.deps.metrics.calls.inc({ provider: event.provider });
    await this.deps.stats.offered(queue.name, event.at);
    log.info({ match: resolution.match, queue: queue.name, popMs: call.popBuiltMs }, 'incoming call');
    return { kind: 'hold', nextCheckSec: queue.announceEverySec };
  }

  /**
   * A new call joins its queue. When nobody is waiting there, the agent is reserved first and
   * the call is stored already offered (one write instead of queue → claim → offer); otherwise
   * it waits behind the others. Only the decision is taken in line with the queue's other work
   * (so no call overtakes one that arrived before it); the writes and the pop happen after it.
   * False when the call was known already (a repeated webhook).
   */
  private async admit(call: Call): Promise<boolean> {
    const { models } = this.deps;
    const stage = this.deps.metrics.popStage;
    const queuedAt = performance.now();
    const decision = await this.serialized(call.queue, async (): Promise<Reservation | 'queued' | 'duplicate'> => {
      const t0 = performance.now();
      stage.observe({ stage: 'wait' }, (t0 - queuedAt) / 1000);
      const [waiting, reservation] = await Promise.all([
        models.Call.exists({ state: { $in: ['queued', 'routing'] }, queue: call.queue }),
        this.routing.reserve(call),
      ]);
      stage.observe({ stage: 'reserve' }, (performance.now() - t0) / 1000);
      if (reservation && !waiting) return reservation;
      if (reservation) await this.routing.release(reservation.agent._id, call._id); // theirs first
      try {
        await models.Call.create(call);
      } catch (err) {
        if (isDuplicateKey(err)) return 'duplicate';
        throw err;
      }
      await this.dispatchOnce(call.queue); // an agent may have come free meanwhile
      return 'queued';
    });
    if (decision === 'duplicate') return false;
    if (decision === 'queued') return true;
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
      await this.routing.release(agentId, call._id);
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
  dispatch(queue: string): Promise<void> {
    return this.serialized(queue, () => this.dispatchOnce(queue)).catch((err: unknown) => {
      this.deps.logger.error({ err, queue }, 'dispatch failed');
    });
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
      const reservation = await this.routing.reserve(call);
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
      await this.routing.release(agentId, call._id);
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
        { $set: { status: 'offered', offerStage: 'agent', assignedTo: agentId, offeredAt: call.offeredAt ?? this.deps.clock.now() } },
      );
    }
    this.deps.logger.info({ callId: call._id, agentId: agentId.toString(), reason: reservation.reason, virtualHold: Boolean(call.virtualHold) }, 'call offered');
    this.publishAgentState(agentId.toString(), 'reserved', call.offeredAt ?? this.deps.clock.now());
    await this.sendOffer(call, (event, ...args) => this.deps.realtime.toUser(agentId.toString()).timeout(this.deps.options.offerAckTimeoutMs).emit(event, ...args));
    this.arm(`ack:${call._id}`, this.deps.options.offerAckTimeoutMs, async () => void (await this.offerTimedOut(call._id, agentId, 'not acknowledged')));
    this.arm(`accept:${call._id}`, this.deps.options.offerAcceptTimeoutMs, async () => void (await this.offerTimedOut(call._id, agentId, 'not accepted')));
  }

  /** `call:offered`, then the pop with an acknowledgement, to one room or one socket. */
  private async sendOffer(
    call: Call,
    send: (
      event: 'screenpop',
      pop: ScreenPop,
      ack: (err: Error | null, responses: boolean[] | boolean) => void,
    ) => void,
    target?: RingsideSocket,
  ): Promise<void> {
    const agentId = call.agentId?.toString();
    if (!agentId || !call.offeredAt) return;
    const pop = (await this.maySeeDetails(call, agentId)) ? call.pop : identityOnly(call.pop);
    const offer: CallOffered = {
      callId: call._id,
      from: call.from,
      to: call.to,
      queue: call.queue,
      offeredAt: call.offeredAt.toISOString(),
      expiresAt: new Date(call.offeredAt.getTime() + this.deps.options.offerAcceptTimeoutMs).toISOString(),
      reason: call.virtualHold ? `${call.routingReason ?? ''}; the caller asked to be called back while waiting` : (call.routingReason ?? ''),
      ...(call.virtualHold ? { callback: { callbackId: call.virtualHold.callbackId.toString(), phone: call.virtualHold.phone } } : {}),
    };
    if (target) target.emit('call:offered', offer);
    else this.deps.realtime.toUser(agentId).emit('call:offered', offer);
    const sentAt = performance.now();
    send('screenpop', pop, (err, responses) => {
      this.deps.metrics.popStage.observe({ stage: 'deliver' }, (performance.now() - sentAt) / 1000);
      const acked = Array.isArray(responses) ? responses.some(Boolean) : responses === true;
      if (acked) void this.acknowledged(call, agentId);
      else if (err) this.deps.logger.debug({ callId: call._id }, 'pop not acknowledged by every socket in time');
    });
  }

  /** With portfolios on, an agent offered another owner's customer sees who is calling, nothing more. */
  private async maySeeDetails(call: Call, agentId: string): Promise<boolean> {
    if (!call.ownerId || call.ownerId.equals(agentId)) return true;
    if (!(await this.deps.customers.restrictedToPortfolio())) return true;
    const agent = await this.deps.models.User.findById(agentId, { roles: 1 }).lean();
    return Boolean(agent?.roles.some((r) => r !== 'agent'));
  }

  private async acknowledged(call: Call, agentId: string): Promise<void> {
    const now = this.deps.clock.now();
    const res = await this.deps.models.Call.updateOne(
      { _id: call._id, agentId: new Types.ObjectId(agentId), state: 'offered', offerAckedAt: { $exists: false } },
      { $set: { offerAckedAt: now } },
    );
    if (res.modifiedCount === 1) {
      this.disarm(`ack:${call._id}`);
      const ms = this.deps.clock.now().getTime() - call.receivedAt.getTime();
      this.deps.metrics.popLatency.observe({ provider: call.provider }, ms / 1000);
      this.deps.stats.popLatency(ms);
    }
  }

  /** An offer the agent did not acknowledge or accept in time goes to the next agent. */
  private offerTimedOut(callId: string, agentId: Types.ObjectId, why: 'not acknowledged' | 'not accepted'): Promise<boolean> {
    // An agent who does not answer is set away so that the next call does not wait on it too.
    return this.passOn(callId, agentId, why, { status: 'away', reason: `missed call (${why})` });
  }

  /** Takes an offer back from an agent and gives the call to the next one, keeping its place in line. */
  private async passOn(
    callId: string,
    agentId: Types.ObjectId,
    why: string,
    agentNext: { status: AgentStatus; reason?: string },
  ): Promise<boolean> {
    const { models, clock } = this.deps;
    const filter: QueryFilter<Call> = { _id: callId, agentId, state: 'offered' };
    if (why === 'not acknowledged') filter.offerAckedAt = { $exists: false };
    const call = await models.Call.findOneAndUpdate(
      filter,
      { $set: { state: 'queued', 'offers.$[last].outcome': why }, $unset: { agentId: 1, offeredAt: 1 }, $addToSet: { passedBy: agentId } },
      { returnDocument: 'after', arrayFilters: [{ 'last.agentId': agentId, 'last.outcome': { $exists: false } }] },
    ).lean();
    if (!call) return false;
    this.disarm(`ack:${callId}`);
    this.disarm(`accept:${callId}`);
    if (call.virtualHold) {
      await models.Callback.updateOne({ _id: call.virtualHold.callbackId, status: 'offered' }, { $set: { status: 'holding' }, $unset: { assignedTo: 1, offerStage: 1, offeredAt: 1 } });
    }
    this.deps.logger.warn({ callId, agentId: agentId.toString(), why }, 'offer moved on');
    const now = clock.now();
    const res = await models.User.updateOne(
      { _id: agentId, 'state.status': 'reserved', 'state.callId': callId },
      {
        $set: { 'state.status': agentNext.status, 'state.since': now, ...(agentNext.reason ? { 'state.reason': agentNext.reason } : {}) },
        $unset: { 'state.callId': 1, ...(agentNext.reason ? {} : { 'state.reason': 1 }) },
      },
    );
    if (res.modifiedCount) this.publishAgentState(agentId.toString(), agentNext.status, now, agentNext.reason);
    this.deps.realtime.toUser(agentId.toString()).emit('call:ended', { callId, at: now.toISOString(), reason: `offer withdrawn: ${why}` });
    await this.dispatch(call.queue);
    return true;
  }

  /** The agent takes the call: the provider connects the caller to the agent's endpoint. */
  async accept(agentId: string, callId: string): Promise<void> {
    const { models, clock } = this.deps;
    const agentOid = new Types.ObjectId(agentId);
    const now = clock.now();
    const call = await models.Call.findOneAndUpdate(
      { _id: callId, agentId: agentOid, state: 'offered' },
      { $set: { state: 'connecting', acceptedAt: now, offerAckedAt: now, 'offers.$[last].outcome': 'accepted' } },
      { returnDocument: 'after', arrayFilters: [{ 'last.agentId': agentOid, 'last.outcome': { $exists: false } }] },
    ).lean();
    if (!call) {
      const exists = await models.Call.exists({ _id: callId });
      throw exists ? conflict('this call is no longer offered to you') : notFound('call');
    }
    this.disarm(`ack:${callId}`);
    this.disarm(`accept:${callId}`);
    if (call.virtualHold) return this.acceptCallback(call, agentId, now);
    const agent = await models.User.findById(agentOid, { endpoints: 1 }).lean();
    const provider = this.deps.providers[call.provider];
    const address = agent?.endpoints?.[call.provider];
    if (!provider || !address) {
      await models.Call.updateOne({ _id: callId, state: 'connecting' }, { $set: { state: 'offered' } });
      throw new AppError('unavailable', `no ${call.provider} endpoint to ring for this agent`);
    }
    try {
      await provider.connect(callId, { agentId, address });
    } catch (err) {
      this.deps.logger.error({ err, callId }, 'provider could not connect the call');
      await models.Call.updateOne({ _id: callId, state: 'connecting' }, { $set: { state: 'offered' } });
      throw new AppError('unavailable', 'the telephony provider could not connect the call; try again');
    }
    const connected = await models.Call.findOneAndUpdate(
      { _id: callId, state: 'connecting' },
      { $set: { state: 'connected', connectedAt: clock.now() } },
    ).lean();
    if (!connected) return; // hung up meanwhile: `ended` has dealt with it
    await this.deps.stats.answered(call.queue, (now.getTime() - call.receivedAt.getTime()) / 1000, now);
    await models.User.updateOne(
      { _id: agentOid },
      { $set: { 'state.status': 'on_call', 'state.since': clock.now(), 'state.callId': callId } },
    );
    this.publishAgentState(agentId, 'on_call', clock.now());
    this.deps.realtime.toUser(agentId).emit('call:updated', { callId, status: 'connected', at: clock.now().toISOString(), agentId });
  }

  /**
   * Accepting a virtual-hold call dials the customer and rings the agent when they answer. Outside
   * the customer's calling hours the callback moves to the next window (any agent then).
   */
  private async acceptCallback(call: Call, agentId: string, now: Date): Promise<void> {
    const { models, clock } = this.deps;
    const hold = call.virtualHold;
    if (!hold || !this.deps.dialer) throw new AppError('unavailable', 'callbacks are not available');
    const agentOid = new Types.ObjectId(agentId);
    let result: Awaited<ReturnType<CallbackDialer['dialHolding']>>;
    try {
      result = await this.deps.dialer.dialHolding(hold.callbackId, agentId, call.provider); // back the way the caller came
    } catch (err) {
      await models.Call.updateOne({ _id: call._id, state: 'connecting' }, { $set: { state: 'offered' } });
      throw err;
    }
    if ('postponedTo' in result) {
      await models.Call.updateOne({ _id: call._id, state: 'connecting' }, { $set: { state: 'ended', endedAt: now, endReason: 'callback moved into calling hours' } });
      if (await this.routing.release(agentOid, call._id)) this.publishAgentState(agentId, 'available', clock.now());
      this.deps.realtime.toUser(agentId).emit('call:ended', { callId: call._id, at: now.toISOString(), reason: `outside the customer's calling hours; callback scheduled for ${result.postponedTo.toISOString()}` });
      return;
    }
    await models.Call.updateOne({ _id: call._id, state: 'connecting' }, { $set: { state: 'connected', connectedAt: clock.now(), endReason: `called back (${result.providerCallId})` } });
    await this.deps.stats.answered(call.queue, (now.getTime() - call.receivedAt.getTime()) / 1000, now);
    await models.User.updateOne({ _id: agentOid }, { $set: { 'state.status': 'on_call', 'state.since': clock.now(), 'state.callId': call._id } });
    this.publishAgentState(agentId, 'on_call', clock.now());
    this.deps.realtime.toUser(agentId).emit('call:updated', { callId: call._id, status: 'connected', at: clock.now().toISOString(), agentId });
  }

  /** The outbound leg of a virtual-hold callback ended: the agent moves to wrap-up. */
  async callbackLegEnded(callId: string, reason: string): Promise<void> {
    const { models, clock } = this.deps;
    const now = clock.now();
    const call = await models.Call.findOneAndUpdate({ _id: callId, state: 'connected', virtualHold: { $exists: true } }, { $set: { state: 'wrap_up', endedAt: now, endReason: reason } }).lean();
    if (!call?.agentId) return;
    const agentId = call.agentId.toString();
    await models.User.updateOne({ _id: call.agentId, 'state.callId': callId }, { $set: { 'state.status': 'wrap_up', 'state.since': now } });
    this.publishAgentState(agentId, 'wrap_up', now);
    this.deps.realtime.toUser(agentId).emit('call:ended', { callId, at: now.toISOString(), reason });
  }

  private async advanceProviderStatus(callId: string, rank: number, type: string): Promise<boolean> {
    const res = await this.deps.models.Call.updateOne(
      { _id: callId, providerRank: { $lt: rank } },
      { $set: { providerRank: rank, providerStatus: type } },
    );
    return res.modifiedCount === 1;
  }

  /** The caller hung up (or the provider ended the call): once, whatever the order of events. */
  private async ended(callId: string, reason: string, at: Date): Promise<void> {
    if (!(await this.advanceProviderStatus(callId, RANK['call.ended'], 'call.ended'))) return;
    const { models, clock } = this.deps;
    this.disarm(`ack:${callId}`);
    this.disarm(`accept:${callId}`);
    const call = await models.Call.findById(callId).lean();
    if (!call || TERMINAL.includes(call.state)) return;
    if (call.virtualHold && call.state !== 'connecting' && call.state !== 'connected') {
      // The caller hung up after asking for a callback: the call keeps its place in line.
      if (call.interactionId) {
        await models.Interaction.updateOne({ _id: call.interactionId }, { $set: { summary: 'Inbound call: asked to be called back while waiting (kept the place in line)' } });
      }
      return;
    }
    const now = clock.now();
    const talked = call.state === 'connected' || call.state === 'connecting';
    const next: Call['state'] = talked ? 'wrap_up' : 'abandoned';
    const updated = await models.Call.findOneAndUpdate(
      { _id: callId, state: call.state },
      { $set: { state: next, endedAt: at, endReason: reason } },
    ).lean();
    if (!updated) return this.ended(callId, reason, at); // state moved meanwhile: read again
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
        await models.User.updateOne(
          { _id: call.agentId, 'state.callId': callId },
          { $set: { 'state.status': 'wrap_up', 'state.since': now } },
        );
        this.publishAgentState(agentId, 'wrap_up', now);
      } else if (await this.routing.release(call.agentId, callId)) {
        this.publishAgentState(agentId, 'available', now);
      }
      this.deps.realtime.toUser(agentId).emit('call:ended', { callId, at: at.toISOString(), reason });
    }
    if (next === 'abandoned') await this.deps.stats.abandoned(call.queue, now);
    this.deps.logger.info({ callId, reason, state: next }, 'call ended');
    if (!talked) await this.dispatch(call.queue);
  }

  /** Disposition and note (and, for a shared number, which customer it was); the agent is free again. */
  async wrapUp(agentId: string, input: CallWrapup): Promise<void> {
    const { models, clock } = this.deps;
    const agentOid = new Types.ObjectId(agentId);
    const current = await models.Call.findOne({ _id: input.callId, agentId: agentOid, state: { $in: ['wrap_up', 'connected'] } }).lean();
    if (!current) throw conflict('no call of yours to wrap up with this id');
    const agent = await models.User.findById(agentOid, { roles: 1, name: 1 }).lean();
    let customerId = current.customerId;
    if (input.customerId) {
      if (!/^[0-9a-f]{24}$/i.test(input.customerId)) throw new AppError('bad_request', 'customerId is not a valid id');
      const chosen = new Types.ObjectId(input.customerId);
      const customer = await models.Customer.findById(chosen, { ownerId: 1 }).lean();
      if (!customer) throw notFound('customer');
      const viewer = { userId: agentId, roles: agent?.roles ?? ['agent' as const], name: agent?.name ?? '' };
      if (!(await this.deps.customers.canSee(viewer, customer))) throw forbidden("this customer belongs to another agent's portfolio");
      customerId = chosen;
    }
    const call = await models.Call.findOneAndUpdate(
      { _id: current._id, agentId: agentOid, state: current.state },
      { $set: { state: 'ended', disposition: input.disposition, ...(customerId ? { customerId } : {}) } },
      { returnDocument: 'after' },
    ).lean();
    if (!call) throw conflict('the call changed meanwhile; try again');
    const wrappedAt = clock.now();
    await this.deps.stats.handled(call.queue, Math.max(0, (wrappedAt.getTime() - (call.acceptedAt ?? call.receivedAt).getTime()) / 1000), wrappedAt);
    if (customerId && input.customerId && call.match === 'multiple' && call.fromE164 && call.pop.candidates?.some((c) => c.id === input.customerId)) {
      await rememberChoice(models, call.fromE164, customerId, agentOid, clock.now());
    }
    if (call.interactionId) {
      const summary = input.note ? `Inbound call: ${input.note}` : `Inbound call (${input.disposition.replace(/_/g, ' ')})`;
      await models.Interaction.updateOne(
        { _id: call.interactionId },
        { $set: { disposition: input.disposition, summary, agentId: agentOid, ...(agent ? { agentName: agent.name } : {}), ...(customerId ? { customerId } : {}) } },
      );
    }
    if (current.state === 'connected') {
      // Wrapped up before the provider reported the end: hang up so the line is free.
      await this.deps.providers[call.provider]?.hangup(call._id).catch(() => undefined);
      await models.User.updateOne({ _id: agentOid, 'state.callId': call._id }, { $set: { 'state.status': 'wrap_up', 'state.since': clock.now() } });
    }
    await this.setAgentStatus(agentId, 'available');
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
    const { models, clock } = this.deps;
    const agentOid = new Types.ObjectId(agentId);
    const current = await models.User.findById(agentOid, { state: 1 }).lean();
    if (!current) throw notFound('agent');
    if (current.state.status === 'reserved' && current.state.callId) {
      await this.passOn(current.state.callId, agentOid, 'declined', { status, ...(reason ? { reason } : {}) });
    }
    const now = clock.now();
    const set: Record<string, unknown> = { 'state.status': status, 'state.since': now };
    if (reason) set['state.reason'] = reason;
    if (status === 'available') set.idleSince = now;
    const updated = await models.User.findOneAndUpdate(
      { ...opts.onlyIf, _id: agentOid, 'state.status': { $nin: ['reserved', 'on_call'] } },
      { $set: set, $unset: { 'state.callId': 1, ...(reason ? {} : { 'state.reason': 1 }) } },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw conflict('the agent is busy with a call; finish it first');
    this.publishAgentState(agentId, status, now, reason, status === 'available' ? now : undefined);
    if (status === 'available') await this.dispatchFor(agentOid, updated.skills);
    return { status, since: now };
  }

  /** An agent came free: the queues of their skills, and calls waiting for them as owner, are served. */
  private async dispatchFor(agentOid: Types.ObjectId, skills: string[]): Promise<void> {
    const queues = new Set((await this.queues.all()).filter((q) => skills.includes(q.skill)).map((q) => q.name));
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
    this.routing.notePresence(agentId, false);
    const agent = await models.User.findById(agentId, { state: 1 }).lean();
    if (!agent) return;
    this.publishPresence(agentId, agent.state, false);
    const callId = agent.state.status === 'reserved' ? agent.state.callId : undefined;
    if (!callId) return;
    const agentOid = agent._id;
    this.arm(`console:${agentId}`, Math.min(options.offerAckTimeoutMs, options.consoleGraceMs), async () => {
      const now = await models.User.findById(agentOid, { 'console.connected': 1 }).lean();
      if (now?.console?.connected === true) return;
      await this.passOn(callId, agentOid, CONSOLE_DISCONNECTED, { status: 'available' });
    });
  }

  /** Presence: a console is back within the grace. The state holds; a free agent gets waiting calls. */
  async consoleBack(agentId: string): Promise<void> {
    this.disarm(`console:${agentId}`);
    this.routing.notePresence(agentId, true);
    const agent = await this.deps.models.User.findById(agentId, { state: 1, skills: 1 }).lean();
    if (!agent) return;
    this.publishPresence(agentId, agent.state, true);
    if (agent.state.status === 'available') await this.dispatchFor(agent._id, agent.skills);
  }

  /** Presence: no console for longer than the grace: offline until the agent chooses again. */
  async consoleExpired(agentId: string, whileDisconnected: boolean): Promise<void> {
    this.disarm(`console:${agentId}`);
    try {
      await this.setAgentStatus(agentId, 'offline', CONSOLE_DISCONNECTED, whileDisconnected ? { onlyIf: { 'console.connected': { $ne: true } } } : {});
    } catch (err) {
      if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) return; // on a call, connected again, or gone
      throw err;
    }
  }

  private publishPresence(agentId: string, state: User['state'], connected: boolean): void {
    const event = { agentId, status: state.status, since: state.since.toISOString(), ...(state.reason ? { reason: state.reason } : {}), connected };
    this.deps.realtime.toUser(agentId).emit('agent:state', event);
    this.deps.realtime.toRole('supervisor').emit('agent:state', event);
    this.deps.stats.changed();
  }

  private publishAgentState(agentId: string, status: AgentStatus, since: Date, reason?: string, idleSince?: Date): void {
    this.routing.noteState(agentId, status, idleSince);
    const event = { agentId, status, since: since.toISOString(), ...(reason ? { reason } : {}) };
    this.deps.realtime.toUser(agentId).emit('agent:state', event);
    this.deps.realtime.toRole('supervisor').emit('agent:state', event);
    this.deps.stats.changed();
  }

  /** A socket that (re)connects gets the pops of calls still offered to its agent. */
  async replayOffers(socket: RingsideSocket): Promise<void> {
    const calls = await this.deps.models.Call.find({ agentId: new Types.ObjectId(socket.data.userId), state: 'offered' }).lean();
    for (const call of calls) {
      await this.sendOffer(call, (event, pop, ack) =>
        socket.timeout(this.deps.options.offerAckTimeoutMs).emit(event, pop, (err, received) => ack(err, received)),
      socket);
    }
  }

  private arm(key: string, ms: number, fn: () => Promise<void>): void {
    this.disarm(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      fn().catch((err: unknown) => this.deps.logger.error({ err, key }, 'offer timer failed'));
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  private disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  /** Stops timers (shutdown). Offers still pending are replayed or moved on by the next process. */
  close(): void {
    this.routing.close();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
