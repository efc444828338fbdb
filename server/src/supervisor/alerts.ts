// Alerts for supervisors: agents set away for missed calls in numbers (consoles gone silent, a
// network problem on the floor), or offers moved on because the server itself was late. Raised
// once per kind and window across every server process (later ones within it add to its count),
// kept for a week.
import type { SupervisorAlert as AlertShape } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime/gateway';
import type { SupervisorAlert } from '../db/schemas/supervisor-alert.model';
import { isDuplicateKey } from '../errors';

/** An offer that timed out and moved on (CallStatsSink.offerMissed). */
export interface MissedOffer {
  agentId: string;
  callId: string;
  queue: string;
  why: 'not acknowledged' | 'not accepted';
  /** Set when the server itself was late: the agent stayed available. */
  serverLateMs: number | undefined;
  at: Date;
}

export interface AlertOptions {
  /** Agents set away for missed calls within the window that raise an alert (default 3). */
  awayAgents?: number;
  /** The window, seconds (default 60). */
  windowSec?: number;
}

export const MISSED_CALL_REASONS = ['missed call (not acknowledged)', 'missed call (not accepted)'];

export class SupervisorAlerts {
  private readonly awayAgents: number;
  private readonly windowMs: number;
  /** When this process moved offers on because it was late (the window's worth). */
  private late: number[] = [];

  constructor(
    private readonly deps: { models: Models; clock: Clock; logger: Logger; realtime: Realtime },
    options: AlertOptions = {},
  ) {
    this.awayAgents = options.awayAgents ?? 3;
    this.windowMs = (options.windowSec ?? 60) * 1000;
  }

  /** Never throws: an alert that cannot be raised is logged, the call path goes on. */
  async offerMissed(missed: MissedOffer): Promise<void> {
    try {
      if (missed.serverLateMs !== undefined) await this.serverLate(missed.at, missed.serverLateMs);
      else await this.agentAway(missed.at);
    } catch (err) {
      this.deps.logger.warn({ err, callId: missed.callId }, 'could not raise a supervisor alert');
    }
  }

  /** The latest alerts, newest first (the last day's, at most 50). */
  async recent(): Promise<AlertShape[]> {
    const since = new Date(this.deps.clock.now().getTime() - 24 * 3600_000);
    const found = await this.deps.models.SupervisorAlert.find({ at: { $gte: since } })
      .sort({ at: -1 })
      .limit(50)
      .lean();
    return found.map(view);
  }

  private async serverLate(at: Date, lateMs: number): Promise<void> {
    const from = at.getTime() - this.windowMs;
    this.late = this.late.filter((t) => t >= from);
    this.late.push(at.getTime());
    await this.raise({ kind: 'server_late', at, count: this.late.length, lateMs });
  }

  private async agentAway(at: Date): Promise<void> {
    const since = new Date(at.getTime() - this.windowMs);
    const away = await this.deps.models.User.find(
      { 'state.status': 'away', 'state.reason': { $in: MISSED_CALL_REASONS }, 'state.since': { $gte: since } },
      { name: 1 },
    )
      .limit(200)
      .lean();
    if (away.length < this.awayAgents) return;
    await this.raise({
      kind: 'agents_away',
      at,
      count: away.length,
      agents: away.map((a) => ({ agentId: a._id.toString(), name: a.name })),
    });
  }

  private async raise(alert: Omit<SupervisorAlert, '_id' | 'windowSec'>): Promise<void> {
    const { SupervisorAlert: Alerts } = this.deps.models;
    // Raised already within the window (here or by another process): its count only grows.
    const since = new Date(alert.at.getTime() - this.windowMs);
    const open = await Alerts.findOne({ at: { $gte: since }, kind: alert.kind }, { _id: 1 })
      .sort({ at: -1 })
      .lean();
    if (open) {
      await Alerts.updateOne({ _id: open._id }, { $max: { count: alert.count } });
      return;
    }
    const minute = new Date(Math.floor(alert.at.getTime() / 60_000) * 60_000);
    const doc: SupervisorAlert = {
      _id: `${alert.kind}:${minute.toISOString()}`,
      windowSec: this.windowMs / 1000,
      ...alert,
    };
    try {
      await this.deps.models.SupervisorAlert.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Two processes raising it at once: the first one's stands.
      await Alerts.updateOne({ _id: doc._id }, { $max: { count: doc.count } });
      return;
    }
    this.deps.logger.warn({ kind: doc.kind, count: doc.count, lateMs: doc.lateMs }, 'supervisor alert');
    this.deps.realtime.toRole('supervisor').emit('supervisor:alert', view(doc));
  }
}

function view(doc: SupervisorAlert): AlertShape {
  return {
    id: doc._id,
    kind: doc.kind,
    at: doc.at.toISOString(),
    count: doc.count,
    windowSec: doc.windowSec,
    ...(doc.agents ? { agents: doc.agents.map((a) => ({ agentId: a.agentId, name: a.name })) } : {}),
    ...(doc.lateMs === undefined ? {} : { lateMs: doc.lateMs }),
  };
}
