import type { QueryFilter, Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { User } from '../auth/user.model';
import type { AgentStatus } from '@ringside/shared';
import type { Logger } from '../logger';
import { AgentPool } from './agent-pool';

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
  private readonly pool: AgentPool;

  constructor(
    private readonly models: Models,
    private readonly clock: Clock,
    options: { poolRefreshMs?: number; logger?: Logger } = {},
  ) {
    this.pool = new AgentPool(models, { refreshMs: options.poolRefreshMs ?? 2000, ...(options.logger ? { logger: options.logger } : {}) });
  }

  /** An agent's state changed in this process (idleSince when the change set it). */
  noteState(agentId: Types.ObjectId | string, status: AgentStatus, idleSince?: Date): void {
    this.pool.note(agentId, status, idleSince);
  }

  /** An agent's console connected or went (presence decided it in this process). */
  notePresence(agentId: Types.ObjectId | string, connected: boolean): void {
    this.pool.notePresence(agentId, connected);
  }

  close(): void {
    this.pool.close();
  }

  /** The customer's owner if available, else the longest-idle available agent with the skill. */
  async reserve(call: RoutableCall): Promise<Reservation | null> {
    const now = this.clock.now();
    const update = { $set: { 'state.status': 'reserved', 'state.since': now, 'state.callId': call._id } };
    const projection = { name: 1, endpoints: 1 };
    // The owner is asked only when this process does not know them to be busy (one round trip saved).
    if (call.ownerId && !call.passedBy.some((id) => id.equals(call.ownerId)) && (await this.pool.maybeAvailable(call.ownerId))) {
      const owner = await this.models.User.findOneAndUpdate(
        { _id: call.ownerId, roles: 'agent', active: true, 'state.status': 'available', 'console.connected': true },
        update,
        { projection, returnDocument: 'after' },
      ).lean();
      if (owner) {
        this.pool.note(owner._id, 'reserved');
        return { agent: owner, reason: 'account owner' };
      }
    }
    // Only an agent whose console is connected can see the pop: nobody else is offered a call.
    const eligible: QueryFilter<User> = { 'state.status': 'available', 'console.connected': true, skills: call.skill, roles: 'agent', active: true };
    const reason = `longest idle with skill ${call.skill}`;
    // Longest idle as this process sees it, each claimed by one conditional update on its _id.
    const candidates = await this.pool.candidates(call.skill, call.passedBy);
    for (const id of candidates.slice(0, MAX_POOL_TRIES)) {
      const agent = await this.models.User.findOneAndUpdate({ _id: id, ...eligible }, update, { projection, returnDocument: 'after' }).lean();
      this.pool.note(id, agent ? 'reserved' : 'offline'); // offline here means "not free": the refresh knows better
      if (agent) return { agent, reason };
    }
    // Nobody free as far as this process knows (or its view is stale): ask the database.
    const agent = await this.models.User.findOneAndUpdate(
      { ...eligible, _id: { $nin: call.passedBy } },
      update,
      { projection, returnDocument: 'after', sort: { idleSince: 1, _id: 1 } },
    ).lean();
    if (!agent) return null;
    this.pool.note(agent._id, 'reserved');
    return { agent, reason };
  }

  /** Gives a reserved agent back (the call went elsewhere or ended before being accepted). */
  async release(agentId: Types.ObjectId, callId: string): Promise<boolean> {
    const res = await this.models.User.updateOne(
      { _id: agentId, 'state.status': 'reserved', 'state.callId': callId },
      { $set: { 'state.status': 'available', 'state.since': this.clock.now() }, $unset: { 'state.callId': 1 } },
    );
    if (res.modifiedCount === 1) this.pool.note(agentId, 'available');
    return res.modifiedCount === 1;
  }
}

/** Stale entries tried before asking the database. */
const MAX_POOL_TRIES = 3;
