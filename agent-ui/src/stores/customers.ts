import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { ScreenPop } from '@ringside/shared';
import { ApiError, errorMessage, request } from '../services/api';
import { nextWindowOf } from '../services/format';
import {
  callbackAcceptedSchema,
  callbackAnswerSchema,
  callbacksSchema,
  casesSchema,
  customerCreatedSchema,
  customerSearchSchema,
  duplicatesDetailSchema,
  noteCreatedSchema,
  outboundCallSchema,
  popAnswerSchema,
  timelineSchema,
  type CallbackItem,
  type CustomerCase,
  type CustomerSummary,
  type TimelineEntry,
} from '../services/schemas';
import { useSessionStore } from './session';

export type LeadResult =
  | { kind: 'created'; customer: CustomerSummary }
  | { kind: 'duplicates'; message: string; duplicates: CustomerSummary[] }
  | { kind: 'error'; message: string };

export type DialResult =
  | { kind: 'calling'; to: string; callId: string }
  /** `nextWindow`: when the customer may be called, for a refusal outside calling hours. */
  | { kind: 'refused'; message: string; nextWindow: string | null }
  | { kind: 'error'; message: string };

/** `ready` once loaded; `unavailable` when this server does not serve the list yet. */
export type ListState = 'idle' | 'loading' | 'ready' | 'unavailable' | 'error';

const TIMELINE_PAGE = 25;

/** Customer look-ups: search, the customer 360 page (account, timeline, cases, notes), leads, callbacks. */
export const useCustomersStore = defineStore('customers', () => {
  const token = () => useSessionStore().token;

  // Search
  const results = ref<CustomerSummary[]>([]);
  const page = ref(1);
  const hasMore = ref(false);
  const searching = ref(false);
  const searched = ref(false);
  const searchError = ref<string | null>(null);
  let lastQuery: { text: string; label: string } = { text: '', label: '' };

  /** Name prefix (no accents needed), email or phone in any form in `text`; a label in `label`. */
  async function search(text: string, label: string, pageNo = 1): Promise<void> {
    const q = text.trim();
    const l = label.trim().toLowerCase();
    searchError.value = null;
    if (!q && !l) {
      searchError.value = 'Type a name, email or phone number, or a label.';
      return;
    }
    lastQuery = { text: q, label: l };
    const params = new URLSearchParams({ page: String(pageNo), limit: '20' });
    if (q) params.set('q', q);
    if (l) params.set('label', l);
    searching.value = true;
    try {
      const answer = await request(`/api/customers?${params}`, { token: token(), schema: customerSearchSchema });
      results.value = answer.customers;
      page.value = answer.page;
      hasMore.value = answer.hasMore;
      searched.value = true;
    } catch (e) {
      searchError.value = errorMessage(e);
    } finally {
      searching.value = false;
    }
  }

  function nextPage(): Promise<void> {
    return search(lastQuery.text, lastQuery.label, page.value + 1);
  }

  function previousPage(): Promise<void> {
    return search(lastQuery.text, lastQuery.label, Math.max(1, page.value - 1));
  }

  // Customer 360
  const customerId = ref<string | null>(null);
  const account = ref<ScreenPop | null>(null);
  const timeline = ref<TimelineEntry[]>([]);
  const timelineHasMore = ref(false);
  const cases = ref<CustomerCase[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const loadingOlder = ref(false);

  /** Loads everything the 360 page shows: the account (the same pop a call shows), timeline and cases. */
  async function open(id: string): Promise<void> {
    customerId.value = id;
    account.value = null;
    timeline.value = [];
    cases.value = [];
    error.value = null;
    loading.value = true;
    try {
      const [pop, history, caseList] = await Promise.all([
        request(`/api/customers/${encodeURIComponent(id)}/screen-pop`, { token: token(), schema: popAnswerSchema }),
        request(`/api/customers/${encodeURIComponent(id)}/timeline?limit=${TIMELINE_PAGE}`, { token: token(), schema: timelineSchema }),
        request(`/api/cases?customerId=${encodeURIComponent(id)}`, { token: token(), schema: casesSchema }),
      ]);
      if (customerId.value !== id) return;
      account.value = pop;
      timeline.value = history.entries;
      timelineHasMore.value = history.hasMore;
      cases.value = caseList.cases;
    } catch (e) {
      if (customerId.value === id) error.value = errorMessage(e);
    } finally {
      if (customerId.value === id) loading.value = false;
    }
  }

  /** The next page of older timeline entries. */
  async function loadOlder(): Promise<void> {
    const id = customerId.value;
    const oldest = timeline.value.at(-1);
    if (!id || !oldest || loadingOlder.value) return;
    loadingOlder.value = true;
    try {
      const params = new URLSearchParams({ before: oldest.at, limit: String(TIMELINE_PAGE) });
      const answer = await request(`/api/customers/${encodeURIComponent(id)}/timeline?${params}`, { token: token(), schema: timelineSchema });
      if (customerId.value !== id) return;
      const known = new Set(timeline.value.map((e) => e.id));
      timeline.value = [...timeline.value, ...answer.entries.filter((e) => !known.has(e.id))];
      timelineHasMore.value = answer.hasMore;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loadingOlder.value = false;
    }
  }

  /** Adds a note to the open customer's timeline; returns the error to show, or null. */
  async function addNote(text: string, callId?: string): Promise<string | null> {
    const id = customerId.value;
    if (!id) return 'No customer is open.';
    if (!text.trim()) return 'Write the note first.';
    try {
      const answer = await request(`/api/customers/${encodeURIComponent(id)}/notes`, {
        method: 'POST',
        token: token(),
        body: { text: text.trim(), ...(callId ? { callId } : {}) },
        schema: noteCreatedSchema,
        callId: callId ?? null,
      });
      const user = useSessionStore().user;
      if (customerId.value === id) {
        timeline.value = [
          { id: answer.note.id, type: 'note', at: answer.note.at, summary: answer.note.text, ...(user ? { agentName: user.name } : {}) },
          ...timeline.value,
        ];
      }
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  // Leads
  /**
   * Creates a lead from a name and a phone (the unknown caller's number). When the number or
   * name already belongs to someone the server says who; `force` creates it anyway.
   */
  async function createLead(name: string, phone: string, options: { force?: boolean; callId?: string } = {}): Promise<LeadResult> {
    const trimmedName = name.trim();
    if (!trimmedName) return { kind: 'error', message: 'Enter the caller’s name.' };
    const raw = phone.trim();
    try {
      const answer = await request('/api/customers', {
        method: 'POST',
        token: token(),
        body: { kind: 'lead', name: trimmedName, phones: raw ? [{ raw }] : [], ...(options.force ? { force: true } : {}) },
        schema: customerCreatedSchema,
        callId: options.callId ?? null,
      });
      return { kind: 'created', customer: answer.customer };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const details = duplicatesDetailSchema.safeParse(e.details);
        return { kind: 'duplicates', message: e.message, duplicates: details.success ? details.data.duplicates : [] };
      }
      return { kind: 'error', message: errorMessage(e) };
    }
  }

  // Click-to-dial
  /**
   * `POST /api/calls/outbound`: the server calls the customer on `phone` and connects the agent.
   * A 409 is a refusal (do-not-call, outside calling hours), with the next window when it says one.
   */
  async function dial(customerId: string, phone: string): Promise<DialResult> {
    try {
      const answer = await request('/api/calls/outbound', {
        method: 'POST',
        token: token(),
        body: { customerId, phone },
        schema: outboundCallSchema,
      });
      return { kind: 'calling', to: answer.to, callId: answer.callId };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return { kind: 'refused', message: e.message, nextWindow: nextWindowOf(e.message) };
      return { kind: 'error', message: errorMessage(e) };
    }
  }

  // My callbacks
  const callbacks = ref<CallbackItem[]>([]);
  const callbacksState = ref<ListState>('idle');
  const callbacksMessage = ref<string | null>(null);

  async function loadCallbacks(): Promise<void> {
    callbacksState.value = 'loading';
    callbacksMessage.value = null;
    try {
      const answer = await request('/api/callbacks?mine=true', { token: token(), schema: callbacksSchema });
      callbacks.value = [...answer.callbacks].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
      callbacksState.value = 'ready';
    } catch (e) {
      callbacks.value = [];
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) {
        callbacksState.value = 'unavailable';
        callbacksMessage.value = 'Callbacks are not available on this server yet.';
      } else {
        callbacksState.value = 'error';
        callbacksMessage.value = errorMessage(e);
      }
    }
  }

  /** Cancels one of the agent's callbacks; returns the error to show, or null. */
  async function cancelCallback(id: string): Promise<string | null> {
    try {
      await request(`/api/callbacks/${encodeURIComponent(id)}`, { method: 'DELETE', token: token(), schema: callbackAnswerSchema });
      await loadCallbacks();
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  /**
   * `POST /api/callbacks/:id/accept`: takes a callback offered to this agent; the server dials
   * the customer and connects the agent. Returns the error to show, or null.
   */
  async function acceptCallback(id: string): Promise<string | null> {
    try {
      await request(`/api/callbacks/${encodeURIComponent(id)}/accept`, { method: 'POST', token: token(), schema: callbackAcceptedSchema });
      await loadCallbacks();
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  function reset(): void {
    results.value = [];
    page.value = 1;
    hasMore.value = false;
    searched.value = false;
    searchError.value = null;
    customerId.value = null;
    account.value = null;
    timeline.value = [];
    cases.value = [];
    error.value = null;
    callbacks.value = [];
    callbacksState.value = 'idle';
    callbacksMessage.value = null;
  }

  return {
    results,
    page,
    hasMore,
    searching,
    searched,
    searchError,
    search,
    nextPage,
    previousPage,
    customerId,
    account,
    timeline,
    timelineHasMore,
    cases,
    loading,
    error,
    loadingOlder,
    open,
    loadOlder,
    addNote,
    createLead,
    dial,
    callbacks,
    callbacksState,
    callbacksMessage,
    loadCallbacks,
    cancelCallback,
    acceptCallback,
    reset,
  };
});
