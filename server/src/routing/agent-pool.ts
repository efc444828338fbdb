import type { Types } from 'mongoose';
import type { AgentStatus } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Logger } from '../logger';

interface PoolEntry {
  id: Types.ObjectId;
  skills: string[];
  idleSince: number;
  available: boolean;
  /** A console of the agent is connected (only then is the agent offered calls). */
  connected: boolean;
  /** performance.now() of the last change made by this process; a slower refresh does not undo it. */
  changedAt: number;
}

/**
 * This process's view of which agents are free, in longest-idle order. Picking "the longest-idle
 * agent with a skill" straight from the database reads every available agent's document (the
 * server builds the whole result before sorting), about 3 ms with 500 agents; here it is a sort
 * in memory and then one conditional update by `_id`, which stays the only authority: an entry
 * that is out of date only costs a failed update, never a double booking. Changes made by this
 * process are applied at once; changes made elsewhere arrive with the next refresh.
 */
export class AgentPool {
  private readonly agents = new Map<string, PoolEntry>();
  private loaded: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly models: Models,
    private readonly options: { refreshMs: number; logger?: Logger },
  ) {}

  /** Agents with the skill that look free, longest idle first, without those to skip. */
  async candidates(skill: string, skip: Types.ObjectId[]): Promise<Types.ObjectId[]> {
    await this.ensureLoaded();
    const skipped = new Set(skip.map(String));
    return [...this.agents.values()]
      .filter((a) => a.available && a.connected && a.skills.includes(skill) && !skipped.has(a.id.toString()))
      .sort((a, b) => a.idleSince - b.idleSince || a.id.toString().localeCompare(b.id.toString()))
      .map((a) => a.id);
  }

  /** Agents a reservation of this process is trying right now (see hold). */
  private readonly held = new Set<string>();

  /**
   * Marks an agent as being tried by one reservation; false when another one of this process is
   * trying them already (parallel reservations then spread over the candidates instead of all
   * trying the longest idle first). `unhold` when the try is over.
   */
  hold(agentId: Types.ObjectId): boolean {
    const key = agentId.toString();
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  unhold(agentId: Types.ObjectId): void {
    this.held.delete(agentId.toString());
  }

  /** False only when this process knows the agent is not free (unknown agents may be). */
  async maybeAvailable(agentId: Types.ObjectId): Promise<boolean> {
    await this.ensureLoaded();
    const entry = this.agents.get(agentId.toString());
    return entry ? entry.available && entry.connected : true;
  }

  /** A state change made by this process. `idleSince` only when it was set with the change. */
  note(agentId: Types.ObjectId | string, status: AgentStatus, idleSince?: Date): void {
    const entry = this.agents.get(agentId.toString());
    if (!entry) {
      // Not known yet (new agent, or skills unknown): the next refresh brings it.
      return;
    }
    entry.available = status === 'available';
    if (idleSince) entry.idleSince = idleSince.getTime();
    entry.changedAt = performance.now();
  }

  /** A console connected or went (decided by this process). */
  notePresence(agentId: Types.ObjectId | string, connected: boolean): void {
    const entry = this.agents.get(agentId.toString());
    if (!entry) return;
    entry.connected = connected;
    entry.changedAt = performance.now();
  }

  private ensureLoaded(): Promise<void> {
    if (!this.loaded) {
      this.loaded = this.refresh();
      this.timer = setInterval(
        () =>
          void this.refresh().catch((err: unknown) => this.options.logger?.warn({ err }, 'agent pool refresh failed')),
        this.options.refreshMs,
      );
      this.timer.unref();
    }
    return this.loaded;
  }

  /** Reads every active agent's skills and state (a few hundred small documents). */
  async refresh(): Promise<void> {
    const started = performance.now();
    const docs = await this.models.User.find(
      { roles: 'agent', active: true },
      { skills: 1, idleSince: 1, state: 1, console: 1 },
    ).lean();
    const seen = new Set<string>();
    for (const d of docs) {
      const key = d._id.toString();
      seen.add(key);
      const entry = this.agents.get(key);
      if (entry && entry.changedAt > started) continue; // changed here while we were reading
      this.agents.set(key, {
        id: d._id,
        skills: d.skills,
        idleSince: d.idleSince?.getTime() ?? 0,
        available: d.state.status === 'available',
        connected: d.console?.connected === true,
        changedAt: entry?.changedAt ?? 0,
      });
    }
    for (const key of this.agents.keys()) if (!seen.has(key)) this.agents.delete(key);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.loaded = undefined;
  }
}
