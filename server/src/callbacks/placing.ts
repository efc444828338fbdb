// Placing: an agent accepts an offered (or virtual-hold) callback and only then is the customer
// dialed on the agent's line; click-to-dial for an agent goes out the same way.
import { Types } from 'mongoose';
import type { Provider } from '@ringside/shared';
import type { TelephonyProvider } from '@ringside/telephony';
import type { Callback } from '../db/schemas/callback.model';
import { isCallable, nextCallable } from './calling-hours';
import { AppError, conflict, notFound } from '../errors';
import { toObjectId } from '../db/ids';
import { type DialerParts, outsideCallingHours, timeZoneOf } from './dialer-parts';
import type { Outcomes } from './outcomes';

export class Placing {
  constructor(
    private readonly deps: DialerParts,
    private readonly outcomes: Pick<Outcomes, 'hold' | 'attemptFailed'>,
  ) {}

  /** An agent takes an offered callback: only now is the customer dialed. */
  async accept(callbackId: string, agentId: string): Promise<{ providerCallId: string }> {
    const { models, clock } = this.deps;
    const id = toObjectId(callbackId, 'callback id');
    const agentOid = new Types.ObjectId(agentId);
    const now = clock.now();
    const existing = await models.Callback.findById(id).lean();
    if (!existing) throw notFound('callback');
    const zone = await timeZoneOf(models, existing.customerId);
    if (!isCallable(now, zone)) throw outsideCallingHours(nextCallable(now, zone));
    const verdict = await this.deps.guard?.check(existing, now, 'dial');
    if (verdict && !verdict.proceed) {
      await this.outcomes.hold(existing, now, verdict);
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
    const zone = await timeZoneOf(models, existing.customerId);
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
      from: this.deps.options.callerId,
      reference: customer._id.toString(),
      connectTo: { agentId, address },
      timeoutSec: this.deps.options.ringSeconds,
    });
    return { providerCallId: callId };
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
        from: this.deps.options.callerId,
        reference: cb._id.toString(),
        connectTo: { agentId, address },
        timeoutSec: this.deps.options.ringSeconds,
      });
      await this.deps.models.Callback.updateOne(
        { _id: cb._id, status: 'dialing' },
        { $set: { providerCallId: callId } },
      );
      return { providerCallId: callId };
    } catch (err) {
      this.deps.logger.error({ err, callbackId: cb._id.toString() }, 'could not dial the callback');
      await this.outcomes.attemptFailed(cb, 'could not dial');
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
    if (!address || !telephony) throw conflict('no phone endpoint to connect you to'); // the user's set-up, not an outage: 409
    return { provider, telephony, address };
  }
}
