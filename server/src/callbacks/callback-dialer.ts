import { Types } from 'mongoose';
import type { CallbackAssigned, CallEndKind, CallEvent, OutsideCallingHours, Provider } from '@ringside/shared';
import type { TelephonyProvider } from '@ringside/telephony';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime/gateway';
import type { Callback } from '../db/schemas/callback.model';
import { isCallable, nextCallable } from './calling-hours';
import { AppError, conflict, notFound } from '../errors';
import { toObjectId } from '../customers/customers.service';
import { QueueDirectory } from '../routing/queues';

export interface DialerOptions {
  /** A personal callback waits this long for its agent before the whole queue gets it. */
  personalOfferMs: number;
  /** Attempts before a callback is marked failed. */
  maxAttempts: number;
  /** Wait before the next attempt after no answer / busy, by attempt number. */
  backoffMs: number[];
  /** Caller ID shown to the customer. */
  callerId: string;
  /** Seconds to ring the customer. */
  ringSeconds: number;
  /** A callback dialing this long without any provider event was never placed. */
  silentDialMs: number;
}

/** What a callback's owner (dunning) says when it is due and when it is dialed. */
export type GuardVerdict = { proceed: true } | { proceed: false; reason: string; postponeTo?: Date };

/** Rules checked when a callback is offered and dialed, not when it was scheduled. */
export interface CallbackGuard {
  check(cb: Callback, now: Date, moment: 'offer' | 'dial'): Promise<GuardVerdict>;
}

/** A 409 for a call outside the customer's calling hours, carrying the next window as data (`details.nextWindow`). */
export function outsideCallingHours(nextWindow: Date): AppError {
  const details: OutsideCallingHours = { nextWindow: nextWindow.toISOString() };
  return conflict(`outside the customer's calling hours; next window ${details.nextWindow}`, details);
}

/** How a virtual-hold callback's call ended: talked and hung up, or never answered. */
export type HoldingLegEnd = Extract<CallEndKind, 'hangup' | 'callback_unanswered'>;

export const DEFAULT_DIALER_OPTIONS: DialerOptions = {
  personalOfferMs: 10 * 60_000,
  maxAttempts: 3,
  backoffMs: [15 * 60_000, 60 * 60_000, 4 * 60 * 60_000],
  callerId: '+48221002000',
  ringSeconds: 30,
  silentDialMs: 5 * 60_000,
};

/**
 * Due callbacks: offered to their agent, then to the queue; dialed only once an agent has
 * accepted; no answer or busy → retried with back-off up to a cap, then failed with its history.
 * Calling hours are checked when each step runs, not when it was scheduled. Every step is one
 * conditional update, so a retried or concurrent run never offers or dials twice.
 */
export class CallbackDialer {
  private readonly options: DialerOptions;

  constructor(
    private readonly deps: {
      models: Models;
      clock: Clock;
      logger: Logger;
      realtime: Realtime;
      providers: Partial<Record<Provider, TelephonyProvider>>;
      options?: Partial<DialerOptions>;
      queues?: QueueDirectory;
      guard?: CallbackGuard;
    },
  ) {
    this.options = { ...DEFAULT_DIALER_OPTIONS, ...deps.options };
    this.queues = deps.queues ?? new QueueDirectory(deps.models);
  }

  private readonly queues: QueueDirectory;

  /** Told when the call of a virtual-hold callback ends (its agent moves to wrap-up); `end` says how, as data. */
  onHoldingLegEnded: ((callId: string, reason: string, end: HoldingLegEnd) => Promise<void>) | undefined;

  private async timeZoneOf(customerId: Types.ObjectId): Promise<string> {
    return (await this.deps.models.Customer.findById(customerId, { timeZone: 1 }).lean())?.timeZone ?? 'UTC';
  }

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
        offeredAt: { $lte: new Date(now.getTime() - this.options.personalOfferMs) },
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
      dialingAt: { $lte: new Date(now.getTime() - this.options.silentDialMs) },
    })
      .limit(limit)
      .lean();
    for (const cb of silent) {
      // Never placed: offered again at once (inside calling hours); it did not ring anyone.
      const next = nextCallable(now, await this.timeZoneOf(cb.customerId));
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
        postponed += await this.hold(d, now, verdict);
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

  /** A callback its guard refused: later (back to scheduled) or not at all (cancelled). */
  private async hold(cb: Callback, now: Date, verdict: { reason: string; postponeTo?: Date }): Promise<number> {
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
      agents = this.queues
        .get(cb.queue)
        .then((q) => this.deps.models.User.find({ roles: 'agent', skills: q.skill, active: true }, { _id: 1 }).lean())
        .then((found) => found.map((a) => a._id.toString()));
      agentsOfQueue.set(cb.queue, agents);
    }
    for (const id of await agents) this.deps.realtime.toUser(id).emit('callback:assigned', event);
  }

  /** An agent takes an offered callback: only now is the customer dialed. */
  async accept(callbackId: string, agentId: string): Promise<{ providerCallId: string }> {
    const { models, clock } = this.deps;
    const id = toObjectId(callbackId, 'callback id');
    const agentOid = new Types.ObjectId(agentId);
    const now = clock.now();
    const existing = await models.Callback.findById(id).lean();
    if (!existing) throw notFound('callback');
    const zone = await this.timeZoneOf(existing.customerId);
    if (!isCallable(now, zone)) throw outsideCallingHours(nextCallable(now, zone));
    const verdict = await this.deps.guard?.check(existing, now, 'dial');
    if (verdict && !verdict.proceed) {
      await this.hold(existing, now, verdict);
      throw conflict(verdict.reason);
    }
    const { provider, telephony, address } = await this.agentLine(agentId);
    const cb = await models.Callback.findOneAndUpdate(
      // Offered to the whole queue, or to this agent (no `$or`: the database would read every callback).
      existing.offerStage === 'queue'
        ? { _id: id, status: 'offered', offerStage: 'queue' }
        : { _id: id, status: 'offered', assignedTo: agentOid },
      {
        $set: { status: 'dialing', dialingAt: now, assignedTo: agentOid, provider },
        $push: { attempts: { at: now, outcome: 'dialing', agentId: agentOid } },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!cb) throw conflict('this callback is not offered to you (taken by someone else, or not due)');
    return this.dial(cb, agentId, telephony, address);
  }

  /**
   * A virtual-hold callback reached the head of its queue and its agent accepted: dial now. Outside
   * the customer's calling hours it becomes an ordinary callback at the next window instead.
   */
  async dialHolding(
    callbackId: Types.ObjectId,
    agentId: string,
    provider?: Provider,
  ): Promise<{ providerCallId: string } | { postponedTo: Date }> {
    const { models, clock } = this.deps;
    const now = clock.now();
    const existing = await models.Callback.findById(callbackId).lean();
    if (!existing) throw notFound('callback');
    const zone = await this.timeZoneOf(existing.customerId);
    if (!isCallable(now, zone)) {
      const next = nextCallable(now, zone);
      await models.Callback.updateOne(
        { _id: callbackId, status: { $in: ['holding', 'offered'] } },
        {
          $set: { status: 'scheduled', dueAt: next },
          $unset: { offerStage: 1, offeredAt: 1, assignedTo: 1 },
          $push: { attempts: { at: now, outcome: 'postponed: outside calling hours' } },
        },
      );
      return { postponedTo: next };
    }
    const agentOid = new Types.ObjectId(agentId);
    const line = await this.agentLine(agentId, provider);
    const { telephony, address } = line;
    const cb = await models.Callback.findOneAndUpdate(
      { _id: callbackId, status: { $in: ['holding', 'offered'] } },
      {
        $set: { status: 'dialing', dialingAt: now, assignedTo: agentOid, provider: line.provider },
        $push: { attempts: { at: now, outcome: 'dialing', agentId: agentOid } },
      },
      { returnDocument: 'after' },
    ).lean();
    if (!cb) throw conflict('this callback was cancelled or is being dialed already');
    return this.dial(cb, agentId, telephony, address);
  }

  /** Rings the customer; the agent is connected when they answer. */
  private async dial(
    cb: Callback,
    agentId: string,
    telephony: TelephonyProvider,
    address: string,
  ): Promise<{ providerCallId: string }> {
    try {
      const { callId } = await telephony.originate({
        to: cb.phone,
        from: this.options.callerId,
        reference: cb._id.toString(),
        connectTo: { agentId, address },
        timeoutSec: this.options.ringSeconds,
      });
      await this.deps.models.Callback.updateOne(
        { _id: cb._id, status: 'dialing' },
        { $set: { providerCallId: callId } },
      );
      return { providerCallId: callId };
    } catch (err) {
      this.deps.logger.error({ err, callbackId: cb._id.toString() }, 'could not dial the callback');
      await this.attemptFailed(cb, 'could not dial');
      throw new AppError('unavailable', 'the telephony provider could not place the call; it will be retried');
    }
  }

  /** The provider and the endpoint that ring this agent. */
  private async agentLine(
    agentId: string,
    preferred?: Provider,
  ): Promise<{ provider: Provider; telephony: TelephonyProvider; address: string }> {
    const agent = await this.deps.models.User.findById(agentId, { endpoints: 1 }).lean();
    const provider: Provider =
      preferred && agent?.endpoints?.[preferred] && this.deps.providers[preferred]
        ? preferred
        : agent?.endpoints?.asterisk && this.deps.providers.asterisk
          ? 'asterisk'
          : 'twilio';
    const address = agent?.endpoints?.[provider];
    const telephony = this.deps.providers[provider];
    if (!address || !telephony) throw new AppError('unavailable', 'no phone endpoint to connect you to');
    return { provider, telephony, address };
  }

  /**
   * Click-to-dial: the customer is called and, on answer, connected to the agent. Refused for a
   * customer who asked not to be called and outside the customer's calling hours.
   */
  async dialForAgent(
    agentId: string,
    customer: { _id: Types.ObjectId; timeZone: string; flags?: { doNotCall?: boolean } },
    phone: string,
  ): Promise<{ providerCallId: string }> {
    if (customer.flags?.doNotCall) throw conflict('this customer asked not to be called (do-not-call)');
    const now = this.deps.clock.now();
    if (!isCallable(now, customer.timeZone)) throw outsideCallingHours(nextCallable(now, customer.timeZone));
    const { telephony, address } = await this.agentLine(agentId);
    const { callId } = await telephony.originate({
      to: phone,
      from: this.options.callerId,
      reference: customer._id.toString(),
      connectTo: { agentId, address },
      timeoutSec: this.options.ringSeconds,
    });
    return { providerCallId: callId };
  }

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
    if (unanswered) await this.attemptFailed(cb, event.reason);
    if (cb.callId) {
      await this.onHoldingLegEnded?.(
        cb.callId,
        unanswered ? `callback not answered (${event.reason})` : 'callback call ended',
        unanswered ? 'callback_unanswered' : 'hangup',
      );
    }
    return true;
  }

  /** No answer, busy or failed: again later (inside calling hours), or failed after the cap. */
  private async attemptFailed(cb: Callback, outcome: string): Promise<void> {
    const now = this.deps.clock.now();
    const tries = cb.attempts.filter((a) => a.outcome === 'dialing').length;
    if (tries >= this.options.maxAttempts) {
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
    const wait = this.options.backoffMs[Math.min(tries - 1, this.options.backoffMs.length - 1)] ?? 15 * 60_000;
    const next = nextCallable(new Date(now.getTime() + wait), await this.timeZoneOf(cb.customerId));
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
