import { ref } from 'vue';
import { defineStore } from 'pinia';
import { errorMessage, request } from '../services/api';
import { callbackAcceptedSchema, callbackAnswerSchema, callbacksSchema, type CallbackItem } from '../services/schemas';
import { listFailure, type ListState } from './list-state';
import { useSessionStore } from './session';

/** The agent's own callbacks, soonest first: cancelling one, taking one that is offered. */
export const useMyCallbacksStore = defineStore('my-callbacks', () => {
  const token = () => useSessionStore().token;
  const callbacks = ref<CallbackItem[]>([]);
  const state = ref<ListState>('idle');
  const message = ref<string | null>(null);

  async function load(): Promise<void> {
    state.value = 'loading';
    message.value = null;
    try {
      const answer = await request('/api/callbacks?mine=true', { token: token(), schema: callbacksSchema });
      callbacks.value = [...answer.callbacks].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
      state.value = 'ready';
    } catch (e) {
      callbacks.value = [];
      const failure = listFailure(e, 'Callbacks are not available on this server yet.');
      state.value = failure.state;
      message.value = failure.message;
    }
  }

  /** Cancels one of the agent's callbacks; returns the error to show, or null. */
  async function cancel(id: string): Promise<string | null> {
    try {
      await request(`/api/callbacks/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        token: token(),
        schema: callbackAnswerSchema,
      });
      await load();
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  /**
   * `POST /api/callbacks/:id/accept`: takes a callback offered to this agent; the server dials
   * the customer and connects the agent. Returns the error to show, or null.
   */
  async function accept(id: string): Promise<string | null> {
    try {
      await request(`/api/callbacks/${encodeURIComponent(id)}/accept`, {
        method: 'POST',
        token: token(),
        schema: callbackAcceptedSchema,
      });
      await load();
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  function reset(): void {
    callbacks.value = [];
    state.value = 'idle';
    message.value = null;
  }

  return { callbacks, state, message, load, cancel, accept, reset };
});
