// Agent state: the one writer of `User.state` (available, reserved, on a call, wrap-up, away,
// offline). Every change is a conditional update on the agent's document, then the agent pool
// (routing's view in memory), the agent's console and the wallboard hear of it.
import { Types, type QueryFilter } from 'mongoose';
import type { AgentStateEvent, AgentStatus } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { User } from '../db/schemas/user.model';
import type { Realtime } from '../realtime/gateway';
import { conflict, notFound } from '../errors';
import { AgentPool } from './agent-pool';

export type AgentDoc = Pick<User, '_id' | 'name' | 'endpoints'>;

export interface AgentStateDeps {
  models: Models;
  clock: Clock;
  realtime: Realtime;
  logger?: Logger;
  /** Told that something on the wallboard changed (supervisors' figures). */
  changed: () => void;
  /** How often the pool reads every agent again (default 2 s). */
  poolRefreshMs?: number;
}

/** The state an agent goes to when an offer is taken back from them. */
export interface NextState {
  status: AgentStatus;
  reason?: string;
  /** Free again, but behind the agents who have waited longest (an offer that reached no console of theirs). */
  backOfTheLine?: boolean;
}

export class AgentStates {
  readonly pool: AgentPool;

  constructor(private readonly deps: AgentStateDeps) {
    this.pool = new AgentPool(deps.models, {
      refreshMs: deps.poolRefreshMs ?? 2000,
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
  }

  close(): void {
    this.pool.close();
  }

  /** Reserves one agent matching `filter` for a call, atomically (several processes may try at once). */
  async reserve(filter: QueryFilter<User>, callId: string, sort?: Record<string, 1 | -1>): Promise<AgentDoc | null> {
    const update = {
      $set: { 'state.status': 'reserved', 'state.since': this.deps.clock.now(), 'state.callId': callId },
    };
    const agent = await this.deps.models.User.findOneAndUpdate(filter, update, {
      projection: { name: 1, endpoints: 1 },
      returnDocument: 'after',
      ...(sort ? { sort } : {}),
    }).lean();
    if (agent) this.pool.note(agent._id, 'reserved');
    return agent;
  }

  /** Gives a reserved agent back (the call went elsewhere or ended before being accepted). */
  async release(agentId: Types.ObjectId, callId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const res = await this.deps.models.User.updateOne(
      { _id: agentId, 'state.status': 'reserved', 'state.callId': callId },
      { $set: { 'state.status': 'available', 'state.since': now }, $unset: { 'state.callId': 1 } },
    );
    if (res.modifiedCount !== 1) return false;
    this.publish(agentId.toString(), 'available', now);
    return true;
  }

  /** The offer is on the agent's screen: the wallboard shows them ringing. */
  offered(agentId: string, at: Date): void {
    this.publish(agentId, 'reserved', at);
  }

  /** An offer is taken back from the agent (declined, missed, console gone). */
  async offerTakenBack(agentId: Types.ObjectId, callId: string, next: NextState): Promise<void> {
    const now = this.deps.clock.now();
    const res = await this.deps.models.User.updateOne(
      { _id: agentId, 'state.status': 'reserved', 'state.callId': callId },
      {
        $set: {
          'state.status': next.status,
          'state.since': now,
          ...(next.reason ? { 'state.reason': next.reason } : {}),
          ...(next.backOfTheLine ? { idleSince: now } : {}),
        },
        $unset: { 'state.callId': 1, ...(next.reason ? {} : { 'state.reason': 1 }) },
      },
    );
    if (res.modifiedCount)
      this.publish(agentId.toString(), next.status, now, next.reason, next.backOfTheLine ? now : undefined);
  }

  /** The agent is talking to the caller. */
  async onCall(agentId: string, callId: string): Promise<void> {
    const now = this.deps.clock.now();
    // Only from the reservation for this call: a hang-up that came in meanwhile has already moved
    // the agent to wrap-up, and "on a call" would then hold them with no call to finish.
    const res = await this.deps.models.User.updateOne(
      { _id: new Types.ObjectId(agentId), 'state.status': 'reserved', 'state.callId': callId },
      { $set: { 'state.status': 'on_call', 'state.since': now } },
    );
    if (res.modifiedCount === 1) this.publish(agentId, 'on_call', now);
  }

  /** The call ended: the agent wraps it up (only if it is still their call). */
  async wrapUp(agentId: Types.ObjectId, callId: string, publish = true): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.models.User.updateOne(
      { _id: agentId, 'state.callId': callId },
      { $set: { 'state.status': 'wrap_up', 'state.since': now } },
    );
    if (publish) this.publish(agentId.toString(), 'wrap_up', now);
  }

  /** The agent's state right now. */
  async read(agentId: string): Promise<Pick<User, '_id' | 'state' | 'skills'> | null> {
    return this.deps.models.User.findById(new Types.ObjectId(agentId), { state: 1, skills: 1 }).lean();
  }

  /**
   * The agent's own choice (or a supervisor's for them), refused while they are reserved for or
   * on a call (`onlyIf` narrows it further). The caller deals with an offer they hold first.
   */
  async choose(
    agentId: string,
    status: AgentStatus,
    reason?: string,
    onlyIf: QueryFilter<User> = {},
  ): Promise<{ since: Date; skills: string[] }> {
    const now = this.deps.clock.now();
    const set: Record<string, unknown> = { 'state.status': status, 'state.since': now };
    if (reason) set['state.reason'] = reason;
    if (status === 'available') set.idleSince = now;
    const updated = await this.deps.models.User.findOneAndUpdate(
      { ...onlyIf, _id: new Types.ObjectId(agentId), 'state.status': { $nin: ['reserved', 'on_call'] } },
      { $set: set, $unset: { 'state.callId': 1, ...(reason ? {} : { 'state.reason': 1 }) } },
      { returnDocument: 'after', projection: { skills: 1 } },
    ).lean();
    if (!updated) {
      if (!(await this.deps.models.User.exists({ _id: new Types.ObjectId(agentId) }))) throw notFound('agent');
      throw conflict('the agent is busy with a call; finish it first');
    }
    this.publish(agentId, status, now, reason, status === 'available' ? now : undefined);
    return { since: now, skills: updated.skills };
  }

  /** Presence changed (decided by presence): routing and the wallboard hear of it. */
  presenceChanged(agentId: string, state: User['state'], connected: boolean): void {
    this.pool.notePresence(agentId, connected);
    this.send(agentId, {
      agentId,
      status: state.status,
      since: state.since.toISOString(),
      ...(state.reason ? { reason: state.reason } : {}),
      connected,
    });
  }

  private publish(agentId: string, status: AgentStatus, since: Date, reason?: string, idleSince?: Date): void {
    this.pool.note(agentId, status, idleSince);
    this.send(agentId, { agentId, status, since: since.toISOString(), ...(reason ? { reason } : {}) });
  }

  private send(agentId: string, event: AgentStateEvent): void {
    this.deps.realtime.toUser(agentId).emit('agent:state', event);
    this.deps.realtime.toRole('supervisor').emit('agent:state', event);
    this.deps.changed();
  }
}
