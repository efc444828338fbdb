import { ref } from 'vue';
import { defineStore } from 'pinia';
import { agentStatusSchema, type AgentStateEvent, type AgentStateSet, type AgentStatus } from '@ringside/shared';
import { send } from '../services/socket';

/** The states an agent may choose; the others (reserved, on call) follow calls. */
export type SelectableStatus = AgentStateSet['status'];

const STORAGE_KEY = 'ringside.agent-state';

interface KnownState {
  agentId: string;
  status: AgentStatus;
  since: string;
  reason?: string;
}

/**
 * The signed-in agent's own state (available, away with a reason, wrap-up…) and since when.
 * The server pushes `agent:state` on every change; the last one known survives a reload of
 * the page (the server does not repeat it on connect).
 */
export const useAgentStateStore = defineStore('agent-state', () => {
  const agentId = ref<string | null>(null);
  const status = ref<AgentStatus | null>(null);
  const since = ref<string | null>(null);
  const reason = ref<string | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  /** Whose state this is; restores the last state known for that agent in this tab. */
  function useAgent(id: string): void {
    if (agentId.value === id) return;
    agentId.value = id;
    status.value = null;
    since.value = null;
    reason.value = null;
    const stored = readStored();
    if (stored?.agentId === id) apply(stored);
  }

  function apply(state: KnownState): void {
    status.value = state.status;
    since.value = state.since;
    reason.value = state.reason ?? null;
    writeStored({
      agentId: state.agentId,
      status: state.status,
      since: state.since,
      ...(state.reason ? { reason: state.reason } : {}),
    });
  }

  // Pushes seen so far. The answer to a change comes after the server has finished it, and by
  // then a later push may have moved the state on (going available can reserve the agent for a
  // waiting call at once): the answer counts only if no push came in between.
  let pushes = 0;

  /** `agent:state` from the server: only this agent's own events count here. */
  function receive(event: AgentStateEvent): void {
    if (agentId.value === null || event.agentId !== agentId.value) return;
    pushes += 1;
    apply(event);
  }

  /** Asks the server for a new state; an agent holding an offer who does this declines it. */
  async function set(next: SelectableStatus, why?: string): Promise<boolean> {
    if (busy.value) return false;
    busy.value = true;
    error.value = null;
    const seen = pushes;
    const trimmed = why?.trim();
    const answer = await send('agent:state:set', { status: next, ...(trimmed ? { reason: trimmed } : {}) });
    busy.value = false;
    if (!answer.ok) {
      error.value = answer.error;
      return false;
    }
    if (answer.data && pushes === seen) receive(answer.data);
    return true;
  }

  function reset(): void {
    agentId.value = null;
    status.value = null;
    since.value = null;
    reason.value = null;
    error.value = null;
    busy.value = false;
    removeStored();
  }

  return { agentId, status, since, reason, busy, error, useAgent, receive, set, reset };
});

function readStored(): KnownState | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { agentId, status, since, reason } = value as Record<string, unknown>;
    const known = agentStatusSchema.safeParse(status);
    if (typeof agentId !== 'string' || !known.success || typeof since !== 'string') return null;
    return { agentId, status: known.data, since, ...(typeof reason === 'string' ? { reason } : {}) };
  } catch {
    return null;
  }
}

function writeStored(state: KnownState): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    // Storage unavailable: the state is known again at the next change.
  }
}

function removeStored(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // see writeStored
  }
}
