import type { QueryFilter, Types } from 'mongoose';
import type { User } from '../db/schemas/user.model';
import type { AgentDoc, AgentStates } from './agent-state';

export interface Reservation {
  agent: AgentDoc;
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
 * Chooses the agent for a call: the customer's owner if available, else the longest-idle
 * available agent with the skill. Each choice is claimed with one conditional update on the
 * agent's document (agent state), so two calls can never reserve the same agent, in one
 * process or many.
 */
export class Routing {
  constructor(private readonly states: AgentStates) {}

  /** The customer's owner if available, else the longest-idle available agent with the skill. */
  async reserve(call: RoutableCall): Promise<Reservation | null> {
    const { states } = this;
    // The owner is asked only when this process does not know them to be busy (one round trip saved).
    if (
      call.ownerId &&
      !call.passedBy.some((id) => id.equals(call.ownerId)) &&
      (await states.pool.maybeAvailable(call.ownerId))
    ) {
      const owner = await states.reserve(
        { _id: call.ownerId, roles: 'agent', active: true, 'state.status': 'available', 'console.connected': true },
        call._id,
      );
      if (owner) return { agent: owner, reason: 'account owner' };
    }
    // Only an agent whose console is connected can see the pop: nobody else is offered a call.
    const eligible: QueryFilter<User> = {
      'state.status': 'available',
      'console.connected': true,
      skills: call.skill,
      roles: 'agent',
      active: true,
    };
    const reason = `longest idle with skill ${call.skill}`;
    // Longest idle as this process sees it, each claimed by one conditional update on its _id.
    const candidates = await states.pool.candidates(call.skill, call.passedBy);
    let tries = 0;
    for (const id of candidates) {
      if (tries >= MAX_POOL_TRIES) break;
      // Calls decided together reserve in parallel: each tries an agent no other one is trying.
      if (!states.pool.hold(id)) continue;
      tries++;
      try {
        const agent = await states.reserve({ _id: id, ...eligible }, call._id);
        if (agent) return { agent, reason };
        states.pool.note(id, 'offline'); // offline here means "not free": the refresh knows better
      } finally {
        states.pool.unhold(id);
      }
    }
    // Nobody free as far as this process knows (or its view is stale): ask the database.
    const agent = await states.reserve({ ...eligible, _id: { $nin: call.passedBy } }, call._id, {
      idleSince: 1,
      _id: 1,
    });
    return agent ? { agent, reason } : null;
  }
}

/** Stale entries tried before asking the database. */
const MAX_POOL_TRIES = 3;
