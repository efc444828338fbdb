import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { ScreenPop } from '@ringside/shared';
import { errorMessage, request } from '../services/api';
import {
  casesSchema,
  noteCreatedSchema,
  popAnswerSchema,
  timelineSchema,
  type CustomerCase,
  type TimelineEntry,
} from '../services/schemas';
import { useSessionStore } from './session';

const TIMELINE_PAGE = 25;

/**
 * The customer 360 page: the account (the same pop a call shows), the timeline page by page,
 * the cases, and notes added to the timeline. One customer at a time: answers about a customer
 * no longer open are dropped.
 */
export const useCustomerPageStore = defineStore('customer-page', () => {
  const token = () => useSessionStore().token;
  const customerId = ref<string | null>(null);
  const account = ref<ScreenPop | null>(null);
  const timeline = ref<TimelineEntry[]>([]);
  const timelineHasMore = ref(false);
  const cases = ref<CustomerCase[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const loadingOlder = ref(false);

  /** Loads everything the 360 page shows: the account, the newest timeline entries and the cases. */
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
        request(`/api/customers/${encodeURIComponent(id)}/timeline?limit=${TIMELINE_PAGE}`, {
          token: token(),
          schema: timelineSchema,
        }),
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
      const answer = await request(`/api/customers/${encodeURIComponent(id)}/timeline?${params}`, {
        token: token(),
        schema: timelineSchema,
      });
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
          {
            id: answer.note.id,
            type: 'note',
            at: answer.note.at,
            summary: answer.note.text,
            ...(user ? { agentName: user.name } : {}),
          },
          ...timeline.value,
        ];
      }
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  function reset(): void {
    customerId.value = null;
    account.value = null;
    timeline.value = [];
    cases.value = [];
    error.value = null;
  }

  return {
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
    reset,
  };
});
