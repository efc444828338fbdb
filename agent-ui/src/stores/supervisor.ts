import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import {
  agentRosterSchema,
  queueStatsSchema,
  supervisorAlertSchema,
  supervisorAlertsSchema,
  type SupervisorAlert,
  type AgentStateEvent,
  type AgentStatus,
  type QueueStats,
} from '@ringside/shared';
import { ApiError, errorMessage, request } from '../services/api';
import { send } from '../services/socket';
import type { SelectableStatus } from './agent-state';
import { useSessionStore } from './session';

/** One agent on the wallboard; `since` is on this browser's clock (ms). */
export interface BoardAgent {
  id: string;
  name: string;
  status: AgentStatus;
  since: number;
  reason: string | null;
  /** A console of the agent is connected: only then are they offered calls. */
  connected: boolean;
  busy: boolean;
  error: string | null;
}

/** One point of the live chart, at the server's time of the figures. */
export interface HistoryPoint {
  at: number;
  waiting: number;
  popLatencyP95Ms: number | null;
}

/**
 * - `idle`: not asked yet
 * - `loading`: first figures on their way
 * - `live`: figures arrived (pushed or polled)
 * - `unavailable`: this server does not serve live figures (yet)
 * - `error`: asking failed; `message` says why
 */
export type StatsAvailability = 'idle' | 'loading' | 'live' | 'unavailable' | 'error';

/** How much history the chart keeps. */
export const HISTORY_MS = 60 * 60 * 1000;

/** The order agents are listed in: who needs a look first. */
const STATUS_ORDER: Record<AgentStatus, number> = {
  on_call: 0,
  reserved: 1,
  wrap_up: 2,
  available: 3,
  away: 4,
  offline: 5,
};

/** Live queues and agents for supervisors, and what they do about them. */
export const useSupervisorStore = defineStore('supervisor', () => {
  const stats = ref<QueueStats | null>(null);
  const history = ref<HistoryPoint[]>([]);
  const agents = ref<Record<string, BoardAgent>>({});
  const availability = ref<StatsAvailability>('idle');
  const message = ref<string | null>(null);
  const rosterError = ref<string | null>(null);
  /** Alerts, newest first: the last day's when the wallboard opened, then pushed ones. */
  const alerts = ref<SupervisorAlert[]>([]);
  const dismissed = ref<Set<string>>(new Set());
  const openAlerts = computed(() => alerts.value.filter((a) => !dismissed.value.has(a.id)));

  const waitingTotal = computed(() => stats.value?.queues.reduce((sum, q) => sum + q.waiting, 0) ?? 0);
  const sortedAgents = computed(() =>
    Object.values(agents.value).sort(
      (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.name.localeCompare(b.name),
    ),
  );
  const agentsByStatus = computed(() => {
    const counts: Partial<Record<AgentStatus, number>> = {};
    for (const a of Object.values(agents.value)) counts[a.status] = (counts[a.status] ?? 0) + 1;
    return counts;
  });

  function upsertAgent(
    id: string,
    fields: Pick<BoardAgent, 'name' | 'status' | 'since' | 'reason' | 'connected'>,
  ): void {
    const existing = agents.value[id];
    if (existing) Object.assign(existing, fields);
    else agents.value[id] = { id, ...fields, busy: false, error: null };
  }

  /**
   * Figures from `queue:stats` or `GET /api/supervisor/stats`: the latest replace the tiles and
   * the agents' times; each distinct moment becomes one chart point, an hour of them kept.
   * Returns false for figures this console cannot read.
   */
  function receiveStats(raw: unknown): boolean {
    const parsed = queueStatsSchema.safeParse(raw);
    if (!parsed.success) return false;
    const figures: QueueStats = parsed.data;
    const at = Date.parse(figures.at);
    if (Number.isNaN(at)) return false;
    const latest = history.value.at(-1);
    if (latest && at < latest.at) return true; // older than what is shown: a late duplicate
    stats.value = figures;
    availability.value = 'live';
    message.value = null;

    const point: HistoryPoint = {
      at,
      waiting: figures.queues.reduce((s, q) => s + q.waiting, 0),
      popLatencyP95Ms: figures.popLatencyP95Ms,
    };
    const kept = history.value.filter((p) => p.at > at - HISTORY_MS && p.at !== at);
    kept.push(point);
    history.value = kept;

    const received = Date.now();
    for (const a of figures.agents) {
      const existing = agents.value[a.agentId];
      upsertAgent(a.agentId, {
        name: a.name,
        status: a.status,
        since: received - a.sinceSec * 1000,
        reason: existing && existing.status === a.status ? existing.reason : null,
        connected: a.connected,
      });
    }
    return true;
  }

  // Pushes seen per agent: the answer to a change applies only if none came in meanwhile
  // (see setAgentState). Bookkeeping, not state to render.
  const pushes = new Map<string, number>();

  /** `agent:state` for any agent: the board changes at once, not at the next figures. */
  function receiveAgentState(event: AgentStateEvent): void {
    const existing = agents.value[event.agentId];
    if (!existing) return; // not on the board (not an active agent); the next figures tell
    pushes.set(event.agentId, (pushes.get(event.agentId) ?? 0) + 1);
    const since = Date.parse(event.since);
    upsertAgent(event.agentId, {
      name: existing.name,
      status: event.status,
      since: Number.isNaN(since) ? Date.now() : Math.min(since, Date.now()),
      reason: event.reason ?? null,
      connected: event.connected ?? existing.connected,
    });
  }

  /** `supervisor:alert`, or one listed by the server: kept once, newest first, at most 20. False for one this console cannot read. */
  function receiveAlert(raw: unknown): boolean {
    const parsed = supervisorAlertSchema.safeParse(raw);
    if (!parsed.success) return false;
    const others = alerts.value.filter((a) => a.id !== parsed.data.id);
    alerts.value = [parsed.data, ...others].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, 20);
    return true;
  }

  function dismissAlert(id: string): void {
    dismissed.value = new Set([...dismissed.value, id]);
  }

  /** The first figures, the roster and the day's alerts, once, when the wallboard opens; pushes keep them current. */
  async function load(): Promise<void> {
    const token = useSessionStore().token;
    if (availability.value !== 'live') availability.value = 'loading';
    rosterError.value = null;
    await Promise.all([loadStats(token), loadRoster(token), loadAlerts(token)]);
  }

  async function loadAlerts(token: string | null): Promise<void> {
    try {
      const answer = await request('/api/supervisor/alerts', { token, schema: supervisorAlertsSchema });
      for (const a of answer.alerts) receiveAlert(a);
    } catch {
      // No alerts listed (an older server): pushed ones still show.
    }
  }

  async function loadStats(token: string | null): Promise<void> {
    try {
      const figures = await request('/api/supervisor/stats', { token, schema: queueStatsSchema });
      receiveStats(figures);
    } catch (e) {
      if (availability.value === 'live') return; // a push got there first
      if (e instanceof ApiError && e.status === 404) {
        availability.value = 'unavailable';
        message.value = 'Live queue figures are not available on this server yet.';
      } else {
        availability.value = 'error';
        message.value = errorMessage(e);
      }
    }
  }

  async function loadRoster(token: string | null): Promise<void> {
    try {
      const answer = await request('/api/agents', { token, schema: agentRosterSchema });
      for (const a of answer.agents) {
        if (agents.value[a.id] && stats.value) continue; // the figures are newer
        const since = Date.parse(a.state.since);
        upsertAgent(a.id, {
          name: a.name,
          status: a.state.status,
          since: Number.isNaN(since) ? Date.now() : Math.min(since, Date.now()),
          reason: a.state.reason ?? null,
          connected: a.connected,
        });
      }
    } catch (e) {
      rosterError.value = errorMessage(e);
    }
  }

  /** Sets another agent's state (away with a reason, available, offline…). */
  async function setAgentState(agentId: string, status: SelectableStatus, reason?: string): Promise<boolean> {
    const agent = agents.value[agentId];
    if (!agent || agent.busy) return false;
    agent.busy = true;
    agent.error = null;
    const seen = pushes.get(agentId) ?? 0;
    const why = reason?.trim();
    const answer = await send('agent:state:set', { agentId, status, ...(why ? { reason: why } : {}) });
    agent.busy = false;
    if (!answer.ok) {
      agent.error = answer.error;
      return false;
    }
    // A push that came in meanwhile is newer than the answer (the agent may already be ringing).
    if (answer.data && (pushes.get(agentId) ?? 0) === seen) receiveAgentState(answer.data);
    return true;
  }

  function reset(): void {
    pushes.clear();
    stats.value = null;
    history.value = [];
    agents.value = {};
    availability.value = 'idle';
    message.value = null;
    rosterError.value = null;
    alerts.value = [];
    dismissed.value = new Set();
  }

  return {
    stats,
    history,
    agents,
    availability,
    message,
    rosterError,
    waitingTotal,
    sortedAgents,
    agentsByStatus,
    alerts,
    openAlerts,
    receiveAlert,
    dismissAlert,
    receiveStats,
    receiveAgentState,
    load,
    setAgentState,
    reset,
  };
});
