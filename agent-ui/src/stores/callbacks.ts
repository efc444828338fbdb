import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import { ApiError, errorMessage, request } from '../services/api';
import { callbackAnswerSchema, callbackListAnswerSchema, type CallbackView } from '@ringside/shared';
import type { ListState } from './customers';
import { useSessionStore } from './session';

/** The callbacks still waiting for someone to call: reassignable. */
export const WAITING_STATUSES = ['scheduled', 'offered'] as const;

/** Supervisors: every agent's waiting callbacks, and handing one to another agent. */
export const useCallbacksStore = defineStore('callbacks', () => {
  const waiting = ref<CallbackView[]>([]);
  const state = ref<ListState>('idle');
  const message = ref<string | null>(null);
  /** Callback ids with a reassignment on its way. */
  const busy = ref<Record<string, boolean>>({});

  const sorted = computed(() => [...waiting.value].sort((a, b) => a.dueAt.localeCompare(b.dueAt)));

  /** `GET /api/callbacks?mine=false&status=…`, once per waiting status. */
  async function loadWaiting(): Promise<void> {
    const token = useSessionStore().token;
    state.value = 'loading';
    message.value = null;
    try {
      const answers = await Promise.all(
        WAITING_STATUSES.map((status) =>
          request(`/api/callbacks?${new URLSearchParams({ mine: 'false', status, limit: '100' })}`, {
            token,
            schema: callbackListAnswerSchema,
          }),
        ),
      );
      const byId = new Map<string, CallbackView>();
      for (const answer of answers) for (const cb of answer.callbacks) byId.set(cb.id, cb);
      waiting.value = [...byId.values()];
      state.value = 'ready';
    } catch (e) {
      waiting.value = [];
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
        state.value = 'unavailable';
        message.value = 'Callbacks are not available on this server yet.';
      } else {
        state.value = 'error';
        message.value = errorMessage(e);
      }
    }
  }

  /** `PATCH /api/callbacks/:id {assignedTo}`; returns the error to show, or null. */
  async function reassign(id: string, agentId: string): Promise<string | null> {
    if (!agentId) return 'Choose an agent first.';
    if (busy.value[id]) return null;
    busy.value[id] = true;
    try {
      const answer = await request(`/api/callbacks/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        token: useSessionStore().token,
        body: { assignedTo: agentId },
        schema: callbackAnswerSchema,
      });
      // The answer may leave out the customer's name: keep what the list knew.
      waiting.value = waiting.value.map((cb) =>
        cb.id === id
          ? { ...cb, ...answer.callback, customerName: answer.callback.customerName ?? cb.customerName }
          : cb,
      );
      return null;
    } catch (e) {
      return errorMessage(e);
    } finally {
      delete busy.value[id];
    }
  }

  function reset(): void {
    waiting.value = [];
    state.value = 'idle';
    message.value = null;
    busy.value = {};
  }

  return { waiting, sorted, state, message, busy, loadWaiting, reassign, reset };
});
