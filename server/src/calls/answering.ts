// Answering: the agent accepts an offered call (the provider connects them, or a virtual-hold
// callback dials the customer), the callback's leg ends, and the agent wraps the call up.
import { Types } from 'mongoose';
import { isObjectId, type CallWrapup } from '@ringside/shared';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { Offers } from './offers';
import type { CallbackDialer, HoldingLegEnd } from '../callbacks/callback-dialer';
import { rememberChoice } from './caller-resolution';
import { AppError, conflict, notFound } from '../errors';
import { authorize, subjects } from '../auth/policy';

export class Answering {
  constructor(
    private readonly deps: CallParts,
    private readonly offers: Pick<Offers, 'setAgentStatus'>,
  ) {}

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
    this.deps.timers.disarm(`ack:${callId}`);
    this.deps.timers.disarm(`accept:${callId}`);
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
    await this.talking(call, agentId, now);
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
      await models.Call.updateOne(
        { _id: call._id, state: 'connecting' },
        { $set: { state: 'ended', endedAt: now, endReason: 'callback moved into calling hours' } },
      );
      await this.deps.states.release(agentOid, call._id);
      this.deps.realtime.toUser(agentId).emit('call:ended', {
        callId: call._id,
        at: now.toISOString(),
        reason: `outside the customer's calling hours; callback scheduled for ${result.postponedTo.toISOString()}`,
        kind: 'callback_postponed',
        postponedTo: result.postponedTo.toISOString(),
      });
      return;
    }
    await models.Call.updateOne(
      { _id: call._id, state: 'connecting' },
      { $set: { state: 'connected', connectedAt: clock.now(), endReason: `called back (${result.providerCallId})` } },
    );
    await this.talking(call, agentId, now);
  }

  /**
   * The caller and the agent are connected: the agent is on the call and hears so, and the queue's
   * day counts the answer (written in groups: the agent does not wait for it).
   */
  private async talking(call: Call, agentId: string, now: Date): Promise<void> {
    await Promise.all([
      this.deps.stats.answered(call.queue, (now.getTime() - call.receivedAt.getTime()) / 1000, now),
      this.deps.states.onCall(agentId, call._id).then(() => {
        this.deps.realtime.toUser(agentId).emit('call:updated', {
          callId: call._id,
          status: 'connected',
          at: this.deps.clock.now().toISOString(),
          agentId,
        });
      }),
    ]);
  }

  /** The outbound leg of a virtual-hold callback ended: the agent moves to wrap-up. */
  async callbackLegEnded(callId: string, reason: string, end: HoldingLegEnd): Promise<void> {
    const { models, clock } = this.deps;
    const now = clock.now();
    const call = await models.Call.findOneAndUpdate(
      { _id: callId, state: 'connected', virtualHold: { $exists: true } },
      { $set: { state: 'wrap_up', endedAt: now, endReason: reason } },
    ).lean();
    if (!call?.agentId) return;
    const agentId = call.agentId.toString();
    await this.deps.states.wrapUp(call.agentId, callId);
    this.deps.realtime.toUser(agentId).emit('call:ended', { callId, at: now.toISOString(), reason, kind: end });
  }

  /** Disposition and note (and, for a shared number, which customer it was); the agent is free again. */
  /**
   * A wrap-up of a call that is over already (wrapped up, or ended by a process that stopped before
   * it moved the agent on) while the agent still shows in that call: the agent is freed, nothing else
   * changes. Without it the agent stayed in wrap-up (or on the call) with nothing left to finish.
   */
  private async freeAgentOfEndedCall(agentOid: Types.ObjectId, callId: string): Promise<boolean> {
    const { models } = this.deps;
    const [over, agent] = await Promise.all([
      models.Call.exists({ _id: callId, agentId: agentOid, state: { $in: ['ended', 'abandoned'] } }),
      models.User.findById(agentOid, { state: 1 }).lean(),
    ]);
    if (!over || agent?.state.callId !== callId || agent.state.status === 'available') return false;
    await this.deps.states.wrapUp(agentOid, callId, false);
    await this.offers.setAgentStatus(agentOid.toString(), 'available');
    return true;
  }

  async wrapUp(agentId: string, input: CallWrapup): Promise<void> {
    const { models, clock } = this.deps;
    const agentOid = new Types.ObjectId(agentId);
    const current = await models.Call.findOne({
      _id: input.callId,
      agentId: agentOid,
      state: { $in: ['wrap_up', 'connected'] },
    }).lean();
    if (!current) {
      if (await this.freeAgentOfEndedCall(agentOid, input.callId)) return;
      throw conflict('no call of yours to wrap up with this id');
    }
    const agent = await models.User.findById(agentOid, { roles: 1, name: 1 }).lean();
    let customerId = current.customerId;
    if (input.customerId) {
      if (!isObjectId(input.customerId)) throw new AppError('bad_request', 'customerId is not a valid id');
      const chosen = new Types.ObjectId(input.customerId);
      const customer = await models.Customer.findById(chosen, { ownerId: 1 }).lean();
      if (!customer) throw notFound('customer');
      const viewer = { userId: agentId, roles: agent?.roles ?? ['agent' as const] };
      authorize(await this.deps.customers.abilityFor(viewer), 'read', subjects.customer(customer));
      customerId = chosen;
    }
    const call = await models.Call.findOneAndUpdate(
      { _id: current._id, agentId: agentOid, state: current.state },
      { $set: { state: 'ended', disposition: input.disposition, ...(customerId ? { customerId } : {}) } },
      { returnDocument: 'after' },
    ).lean();
    if (!call) throw conflict('the call changed meanwhile; try again');
    const wrappedAt = clock.now();
    await this.deps.stats.handled(
      call.queue,
      Math.max(0, (wrappedAt.getTime() - (call.acceptedAt ?? call.receivedAt).getTime()) / 1000),
      wrappedAt,
    );
    if (
      customerId &&
      input.customerId &&
      call.match === 'multiple' &&
      call.fromE164 &&
      call.pop.candidates?.some((c) => c.id === input.customerId)
    ) {
      await rememberChoice(models, call.fromE164, customerId, agentOid, clock.now());
    }
    if (call.interactionId) {
      const summary = input.note
        ? `Inbound call: ${input.note}`
        : `Inbound call (${input.disposition.replace(/_/g, ' ')})`;
      await models.Interaction.updateOne(
        { _id: call.interactionId },
        {
          $set: {
            disposition: input.disposition,
            summary,
            agentId: agentOid,
            ...(agent ? { agentName: agent.name } : {}),
            ...(customerId ? { customerId } : {}),
          },
        },
      );
    }
    if (current.state === 'connected') {
      // Wrapped up before the provider reported the end: hang up so the line is free.
      await this.deps.providers[call.provider]?.hangup(call._id).catch(() => undefined);
    }
    // The agent's state still naming this call (on it, or reserved for it) is behind the call: a
    // process that ended the call was stopped before it moved the agent (found by `npm run
    // test:faults`: the wrap-up was refused, "busy with a call", and the agent stayed on a call that
    // had ended). It follows the call to wrap-up, then becomes available.
    await this.deps.states.wrapUp(agentOid, call._id, false);
    await this.offers.setAgentStatus(agentId, 'available');
  }
}
