// Pop delivery: `call:offered`, then the pop with an acknowledgement, to the agent's room (or
// to one socket that reconnects); an agent outside the customer's portfolio sees who is
// calling and nothing more. The acknowledgement is the pop latency the wallboard shows.
import { Types } from 'mongoose';
import type { CallOffered, ScreenPop } from '@ringside/shared';
import type { Call } from '../db/schemas/call.model';
import type { CallParts } from './call-parts';
import type { RingsideSocket } from '../realtime/gateway';
import { identityOnly } from '../screen-pop/screen-pop.service';
import { subjects } from '../auth/policy';

export class PopDelivery {
  constructor(private readonly deps: CallParts) {}

  /** `call:offered`, then the pop with an acknowledgement, to one room or one socket. */
  async sendOffer(
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
      reason: call.virtualHold
        ? `${call.routingReason ?? ''}; the caller asked to be called back while waiting`
        : (call.routingReason ?? ''),
      ...(call.virtualHold
        ? { callback: { callbackId: call.virtualHold.callbackId.toString(), phone: call.virtualHold.phone } }
        : {}),
    };
    if (target) target.emit('call:offered', offer);
    else this.deps.realtime.toUser(agentId).emit('call:offered', offer);
    const sentAt = performance.now();
    send('screenpop', pop, (err, responses) => {
      this.deps.metrics.popStage.observe({ stage: 'deliver' }, (performance.now() - sentAt) / 1000);
      const acked = Array.isArray(responses) ? responses.some(Boolean) : responses === true;
      // Heard in time: the offer no longer waits on its acknowledgement, whatever the write below
      // takes (a slow database must not make an agent who answered look silent).
      if (acked) this.deps.timers.disarm(`ack:${call._id}`);
      if (acked)
        this.acknowledged(call, agentId).catch((e: unknown) =>
          // The database is away (a restart): the accept that follows records the answer anyway.
          this.deps.logger.warn({ err: e, callId: call._id }, 'recording the acknowledgement failed'),
        );
      else if (err) this.deps.logger.debug({ callId: call._id }, 'pop not acknowledged by every socket in time');
    });
  }

  /**
   * Whether the agent may read the calling customer (the portfolio rule); if not, it sees who is
   * calling, nothing more. A call without one customer (unknown, several) shows no account.
   */
  private async maySeeDetails(call: Call, agentId: string): Promise<boolean> {
    if (!call.customerId) return true;
    const customer = subjects.customer({ ownerId: call.ownerId });
    // Calls are offered to agents: only when an agent may not do we look up what else the user is.
    if ((await this.deps.customers.abilityFor({ userId: agentId, roles: ['agent'] })).can('read', customer))
      return true;
    const agent = await this.deps.models.User.findById(agentId, { roles: 1 }).lean();
    if (!agent) return false;
    return (await this.deps.customers.abilityFor({ userId: agentId, roles: agent.roles })).can('read', customer);
  }

  private async acknowledged(call: Call, agentId: string): Promise<void> {
    const now = this.deps.clock.now();
    const res = await this.deps.models.Call.updateOne(
      { _id: call._id, agentId: new Types.ObjectId(agentId), state: 'offered', offerAckedAt: { $exists: false } },
      { $set: { offerAckedAt: now } },
    );
    if (res.modifiedCount === 1) {
      const ms = this.deps.clock.now().getTime() - call.receivedAt.getTime();
      this.deps.metrics.popLatency.observe({ provider: call.provider }, ms / 1000);
      this.deps.stats.popLatency(ms);
      this.deps.metrics.health.popAcknowledged(ms);
    }
  }

  /**
   * A socket that (re)connects gets the pops of calls still offered to its agent, and hears where
   * the agent's call in hand stands: connected, or ended and waiting for the wrap-up (a page that
   * reloaded while accepting, or missed the hang-up while it was away, would otherwise leave the
   * agent in wrap-up with nothing on the desk to finish).
   */
  async replayOffers(socket: RingsideSocket): Promise<void> {
    const calls = await this.deps.models.Call.find({
      agentId: new Types.ObjectId(socket.data.userId),
      state: { $in: ['offered', 'connected', 'wrap_up'] },
    }).lean();
    for (const call of calls) {
      if (call.state === 'connected') {
        const at = (call.connectedAt ?? call.receivedAt).toISOString();
        socket.emit('call:updated', { callId: call._id, status: 'connected', at, agentId: socket.data.userId });
        continue;
      }
      if (call.state === 'wrap_up') {
        const at = (call.endedAt ?? this.deps.clock.now()).toISOString();
        const reason = call.endReason ?? 'the call ended';
        socket.emit('call:ended', { callId: call._id, at, reason, kind: 'hangup', wrapUp: true });
        continue;
      }
      await this.sendOffer(
        call,
        (event, pop, ack) =>
          socket.timeout(this.deps.options.offerAckTimeoutMs).emit(event, pop, (err, received) => ack(err, received)),
        socket,
      );
    }
  }
}
