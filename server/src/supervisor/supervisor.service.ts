import type { DunningStats, QueueStats } from '@ringside/shared';
import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime/gateway';
import { QueueDirectory } from '../routing/queues';
import { SupervisorAlerts, type AlertOptions, type MissedOffer } from './alerts';

/** What the call path reports as calls move; each is one atomic $inc. */
export interface CallStatsSink {
  offered(queue: string, at: Date): Promise<void>;
  answered(queue: string, waitedSec: number, at: Date): Promise<void>;
  abandoned(queue: string, at: Date): Promise<void>;
  handled(queue: string, handleSec: number, at: Date): Promise<void>;
  popLatency(ms: number): void;
  /** Something a supervisor sees changed (agent state, queue contents). */
  changed(): void;
  /** An offer timed out and moved on (alerts supervisors when agents go away in numbers, or the server is late). */
  offerMissed(missed: MissedOffer): void;
}

const POP_WINDOW = 1000;

interface PendingInc {
  queue: string;
  day: string;
  fields: Record<string, number>;
  waiters: Array<{ resolve(): void; reject(err: unknown): void }>;
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);
/**
 * Day-counter writes start at most this often: under load every call's increments gather into one
 * write per queue and day every quarter second (bench:pop at 50 calls/s: 100 writes a second
 * before, for two figures per call); a write after a quiet spell goes at once.
 */
const INC_EVERY_MS = 250;
const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Live figures for supervisors. Counters are per queue and UTC day, incremented as calls
 * move (no scans); waiting calls and agents are read from their indexes when a snapshot is
 * taken, at most once a second, and pushed as `queue:stats` to supervisors only.
 */
export class SupervisorService implements CallStatsSink {
  private dirty = true;
  private ticks = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pops: number[] = [];
  private popIndex = 0;

  constructor(
    private readonly deps: {
      models: Models;
      clock: Clock;
      realtime: Realtime;
      logger: Logger;
      intervalMs?: number;
      queues?: QueueDirectory;
      dunningFigures?: () => Promise<DunningStats>;
      alerts?: AlertOptions;
    },
  ) {
    this.queues = deps.queues ?? new QueueDirectory(deps.models);
    this.alerts = new SupervisorAlerts(deps, deps.alerts);
  }

  readonly alerts: SupervisorAlerts;

  private readonly queues: QueueDirectory;

  /** Increments not yet written, by day document: one write per document at a time (see inc). */
  private readonly pendingIncs = new Map<string, PendingInc>();
  private flushingIncs = false;
  private lastIncWrite = -Infinity;

  /**
   * Adds to a queue's day counters. Every call in a queue adds to the same document, so writes are
   * grouped: a write goes at once after a quiet spell, and whatever arrives while it is under way,
   * or within INC_EVERY_MS of its start, goes together in the next one (one write per document
   * instead of one per call, which queued behind each other on the hot document). Resolves when the
   * write that holds it is done.
   */
  private inc(queue: string, at: Date, fields: Record<string, number>): Promise<void> {
    const day = dayOf(at);
    const id = `${queue}:${day}`;
    return new Promise<void>((resolve, reject) => {
      let entry = this.pendingIncs.get(id);
      if (!entry) {
        entry = { queue, day, fields: {}, waiters: [] };
        this.pendingIncs.set(id, entry);
      }
      for (const [field, n] of Object.entries(fields)) entry.fields[field] = (entry.fields[field] ?? 0) + n;
      entry.waiters.push({ resolve, reject });
      if (!this.flushingIncs) void this.flushIncs();
    });
  }

  private async flushIncs(): Promise<void> {
    this.flushingIncs = true;
    try {
      while (this.pendingIncs.size > 0) {
        const wait = this.lastIncWrite + INC_EVERY_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.lastIncWrite = performance.now();
        const batch = [...this.pendingIncs.entries()];
        this.pendingIncs.clear();
        await Promise.all(
          batch.map(async ([id, entry]) => {
            try {
              await upsertWrite(() =>
                this.deps.models.QueueDayStats.updateOne(
                  { _id: id },
                  { $inc: entry.fields, $setOnInsert: { queue: entry.queue, day: entry.day } },
                  { upsert: true },
                ),
              );
              for (const w of entry.waiters) w.resolve();
            } catch (err) {
              for (const w of entry.waiters) w.reject(err);
            }
          }),
        );
        this.dirty = true;
      }
    } finally {
      this.flushingIncs = false;
    }
  }

  offered(queue: string, at: Date) {
    return this.inc(queue, at, { offered: 1 });
  }

  async answered(queue: string, waitedSec: number, at: Date) {
    const sla = (await this.queues.get(queue)).slaSeconds;
    return this.inc(queue, at, { answered: 1, answeredWithinSla: waitedSec <= sla ? 1 : 0 });
  }

  abandoned(queue: string, at: Date) {
    return this.inc(queue, at, { abandoned: 1 });
  }

  handled(queue: string, handleSec: number, at: Date) {
    return this.inc(queue, at, { handled: 1, handleSecSum: handleSec });
  }

  popLatency(ms: number): void {
    if (this.pops.length < POP_WINDOW) this.pops.push(ms);
    else this.pops[this.popIndex++ % POP_WINDOW] = ms;
    this.dirty = true;
  }

  changed(): void {
    this.dirty = true;
  }

  offerMissed(missed: MissedOffer): void {
    void this.alerts.offerMissed(missed);
  }

  /** p95 of the last 1,000 pops acknowledged by agents' consoles. */
  popLatencyP95(): number | null {
    if (this.pops.length === 0) return null;
    const sorted = [...this.pops].sort((a, b) => a - b);
    return round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0, 1);
  }

  async snapshot(): Promise<QueueStats> {
    const { models, clock } = this.deps;
    const now = clock.now();
    const day = dayOf(now);
    const queues = await this.queues.all();
    const dunningFigures = this.deps.dunningFigures?.().catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'dunning figures unavailable');
      return undefined;
    });
    const [counters, agents, callbacksDue, callbacksOverdue, ...waiting] = await Promise.all([
      models.QueueDayStats.find({ day }).lean(),
      models.User.find({ roles: 'agent', active: true }, { name: 1, state: 1, console: 1 })
        .sort({ name: 1 })
        .limit(2000)
        .lean(),
      models.Callback.countDocuments(
        { status: { $in: ['scheduled', 'offered'] }, dueAt: { $lte: now } },
        { limit: 100_000 },
      ),
      models.Callback.countDocuments(
        { status: { $in: ['scheduled', 'offered'] }, dueAt: { $lte: new Date(now.getTime() - 15 * 60_000) } },
        { limit: 100_000 },
      ),
      ...queues.map(async (q) => {
        const [count, oldest] = await Promise.all([
          models.Call.countDocuments({ state: { $in: ['queued', 'routing'] }, queue: q.name }, { limit: 100_000 }),
          models.Call.findOne({ state: { $in: ['queued', 'routing'] }, queue: q.name }, { receivedAt: 1 })
            .sort({ receivedAt: 1 })
            .lean(),
        ]);
        return { queue: q.name, count, oldest: oldest?.receivedAt };
      }),
    ]);
    const dunning = await dunningFigures;
    return {
      at: now.toISOString(),
      queues: queues.map((q) => {
        const c = counters.find((x) => x.queue === q.name);
        const w = waiting.find((x) => x.queue === q.name);
        const offered = c?.offered ?? 0;
        return {
          name: q.name,
          waiting: w?.count ?? 0,
          longestWaitSec: w?.oldest ? Math.max(0, Math.floor((now.getTime() - w.oldest.getTime()) / 1000)) : 0,
          serviceLevel: offered ? round((c?.answeredWithinSla ?? 0) / offered) : 1,
          abandonRate: offered ? round((c?.abandoned ?? 0) / offered) : 0,
          averageHandleSec: c?.handled ? round((c.handleSecSum ?? 0) / c.handled, 1) : 0,
        };
      }),
      agents: agents.map((a) => ({
        agentId: a._id.toString(),
        name: a.name,
        status: a.state.status,
        sinceSec: Math.max(0, Math.floor((now.getTime() - a.state.since.getTime()) / 1000)),
        connected: a.console?.connected === true,
      })),
      callbacks: { due: callbacksDue, overdue: callbacksOverdue },
      popLatencyP95Ms: this.popLatencyP95(),
      ...(dunning ? { dunning } : {}),
    };
  }

  /** Pushes `queue:stats` to supervisors when something changed, at most once per interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.push(), this.deps.intervalMs ?? 1000);
    this.timer.unref();
  }

  private async push(): Promise<void> {
    // Every 5 s even when nothing moved, so that waiting times and times in state stay current.
    if (!this.dirty && ++this.ticks % 5 !== 0) return;
    this.dirty = false;
    try {
      this.deps.realtime.toRole('supervisor').emit('queue:stats', await this.snapshot());
    } catch (err) {
      this.dirty = true;
      this.deps.logger.error({ err }, 'could not compute supervisor figures');
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
