import type { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { User } from '../auth/user.model';

export interface Reservation {
  agent: Pick<User, '_id' | 'name' | 'endpoints'>;
  /** Why this agent, in words a supervisor understands. */
  reason: string;
}

export interface RoutableCall {
  _id: string;
  ownerId?: Types.ObjectId | undefined;
  skill: string;
  passedBy: Types.ObjectId[];
}

/**
 * Reserves agents atomically: one conditional update on the agent's document, so two calls
 * can never reserve the same agent, in one process or many.
 */
export class Routing {
  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
  ) {}

  /** The customer's owner if available, else the longest-idle available agent with the skill. */
  async reserve(call: RoutableCall): Promise<Reservation | null> {
    const now = this.clock.now();
    const update = { $set: { 'state.status': 'reserved', 'state.since': now, 'state.callId': call._id } };
    const projection = { name: 1, endpoints: 1 };
    if (call.ownerId && !call.passedBy.some((id) => id.equals(call.ownerId))) {
      const owner = await this.models.User.findOneAndUpdate(
        { _id: call.ownerId, roles: 'agent', active: true, 'state.status': 'available' },
        update,
        { projection, returnDocument: 'after' },
      ).lean();
      if (owner) return { agent: owner, reason: 'account owner' };
    }
    const agent = await this.models.User.findOneAndUpdate(
      { 'state.status': 'available', skills: call.skill, roles: 'agent', active: true, _id: { $nin: call.passedBy } },
      update,
      { projection, returnDocument: 'after', sort: { idleSince: 1, _id: 1 } },
    ).lean();
    return agent ? { agent, reason: `longest idle with skill ${call.skill}` } : null;
  }

  /** Gives a reserved agent back (the call went elsewhere or ended before being accepted). */
  async release(agentId: Types.ObjectId, callId: string): Promise<boolean> {
    const res = await this.models.User.updateOne(
      { _id: agentId, 'state.status': 'reserved', 'state.callId': callId },
      { $set: { 'state.status': 'available', 'state.since': this.clock.now() }, $unset: { 'state.callId': 1 } },
    );
    return res.modifiedCount === 1;
  }
}
