import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { roleRoom, userRoom, type RingsideServer, type RingsideSocket } from '../realtime/gateway';

/** What presence asks of the owner of agent state. */
export interface PresenceListener {
  /** The agent's last console went: no new calls; an offer it holds moves on if the console does not come back. */
  consoleLost(agentId: string): Promise<void>;
  /** A console is back within the grace: the agent's state holds, and calls may come again. */
  consoleBack(agentId: string): Promise<void>;
  /**
   * The grace passed without a console (or the state dates from before it): the agent goes
   * offline (`CONSOLE_DISCONNECTED` of shared) and chooses again. `whileDisconnected`: only if no console
   * has connected meanwhile.
   */
  consoleExpired(agentId: string, whileDisconnected: boolean): Promise<void>;
}

export interface PresenceDeps {
  models: Models;
  clock: Clock;
  io: RingsideServer;
  logger: Logger;
  /** How long an agent's state outlives their last console. */
  graceMs: number;
  listener: PresenceListener;
}

/** States that a console's long absence turns into offline (a call in progress is left alone). */
const EXPIRING = ['available', 'away', 'wrap_up', 'reserved'] as const;

/**
 * Which agents have a console connected, the one writer of `User.console`. The truth is the set
 * of sockets in the agents' rooms across every process (Socket.IO's adapter answers for all of
 * them, the Redis one included); the database keeps a copy that routing filters on. A connect
 * writes it at once; a disconnect asks the cluster whether another console of the agent is still
 * there; a sweep every few seconds mends what a process that died could not write, and on start
 * it marks every agent without a console as gone, so nobody is offered calls before a console
 * connects. Every change is conditional on the connection's token read before the
 * cluster was asked, so a console that connected meanwhile is never marked gone.
 */
export class Presence {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly serial = new Map<string, Promise<void>>();
  /** After close (shutdown), consoles dropping with the server are left to the next sweep anywhere. */
  private closed = false;

  constructor(private readonly deps: PresenceDeps) {}

  /** First sweep now (awaited), then one every few seconds. */
  async start(): Promise<void> {
    await this.sweep();
    const every = Math.max(250, Math.min(5000, Math.floor(this.deps.graceMs / 4)));
    this.timer = setInterval(
      () => void this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'presence sweep failed')),
      every,
    );
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A socket connected. Only agents have presence. */
  connected(socket: RingsideSocket): Promise<void> {
    if (!socket.data.roles.includes('agent')) return Promise.resolve();
    const agentId = socket.data.userId;
    return this.inTurn(agentId, async () => {
      const { models, clock } = this.deps;
      const now = clock.now();
      const before = await models.User.findOneAndUpdate(
        { _id: new Types.ObjectId(agentId) },
        { $set: { console: { connected: true, token: randomUUID(), since: now } } },
        { returnDocument: 'before', projection: { console: 1, state: 1 } },
      ).lean();
      if (!before || before.console?.connected === true) return; // another console was there already
      const lostAt = before.console?.lostAt;
      const within = lostAt !== undefined && now.getTime() - lostAt.getTime() < this.deps.graceMs;
      if (within) await this.deps.listener.consoleBack(agentId);
      else if ((EXPIRING as readonly string[]).includes(before.state.status))
        await this.deps.listener.consoleExpired(agentId, false);
      else await this.deps.listener.consoleBack(agentId);
    });
  }

  /** A socket went: if it was the agent's last console anywhere, the agent is gone. */
  disconnected(socket: RingsideSocket): Promise<void> {
    if (this.closed || !socket.data.roles.includes('agent')) return Promise.resolve();
    const agentId = socket.data.userId;
    return this.inTurn(agentId, async () => {
      const doc = await this.deps.models.User.findById(agentId, { console: 1 }).lean();
      if (doc?.console?.connected !== true) return;
      const others = await this.deps.io.in(userRoom(agentId)).fetchSockets();
      if (others.some((s) => s.id !== socket.id)) return;
      await this.markGone(agentId, doc.console.token);
    });
  }

  /**
   * Brings the database in line with the consoles connected across the cluster, then sends
   * agents whose grace has passed offline.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const { models, clock, io } = this.deps;
    // Read before asking the cluster: a console that connects after the read has a new token.
    const marked = await models.User.find({ roles: 'agent', 'console.connected': true }, { console: 1 }).lean();
    const sockets = await io.in(roleRoom('agent')).fetchSockets();
    const live = new Set(sockets.map((s) => s.data.userId));
    for (const agent of marked) {
      const id = agent._id.toString();
      const token = agent.console?.token;
      if (!live.has(id) && token) await this.inTurn(id, () => this.markGone(id, token));
    }
    const now = clock.now().getTime();
    const absent = await models.User.find(
      { roles: 'agent', 'state.status': { $in: [...EXPIRING] }, 'console.connected': { $ne: true } },
      { console: 1 },
    ).lean();
    for (const agent of absent) {
      const lostAt = agent.console?.lostAt?.getTime();
      if (lostAt !== undefined && now - lostAt < this.deps.graceMs) continue;
      const id = agent._id.toString();
      await this.inTurn(id, () => this.deps.listener.consoleExpired(id, true));
    }
  }

  private async markGone(agentId: string, token: string): Promise<void> {
    const now = this.deps.clock.now();
    const res = await this.deps.models.User.updateOne(
      { _id: new Types.ObjectId(agentId), 'console.connected': true, 'console.token': token },
      { $set: { 'console.connected': false, 'console.lostAt': now } },
    );
    if (res.modifiedCount !== 1) return;
    this.deps.logger.info({ agentId }, 'agent console disconnected');
    await this.deps.listener.consoleLost(agentId);
  }

  /** One agent's presence changes run one after another in this process. */
  private inTurn(agentId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.serial.get(agentId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => this.deps.logger.error({ err, agentId }, 'presence change failed'));
    this.serial.set(agentId, next);
    void next.finally(() => {
      if (this.serial.get(agentId) === next) this.serial.delete(agentId);
    });
    return next;
  }
}
