import { ref } from 'vue';
import { defineStore } from 'pinia';
import { dunningCaseListSchema, type DunningCaseView, type DunningStatus } from '@ringside/shared';
import { ApiError, errorMessage, request, requestBlob } from '../services/api';
import type { ListState } from './customers';
import { useSessionStore } from './session';

/** Cases per page of the list. */
export const REFERRALS_PAGE = 50;

/**
 * Legal: the dunning cases that reached the legal stage (`GET /api/dunning/cases?stage=legal`),
 * one status at a time (each an indexed query on the server), newest first, paged with `before`;
 * and their PDF summaries, fetched with the token and kept as object URLs.
 */
export const useReferralsStore = defineStore('referrals', () => {
  const cases = ref<DunningCaseView[]>([]);
  const status = ref<DunningStatus>('open');
  const state = ref<ListState>('idle');
  const message = ref<string | null>(null);
  const hasMore = ref(false);
  const loadingMore = ref(false);
  /** Object URLs of the summaries fetched so far, by case id. */
  const summaries = new Map<string, string>();
  // Answers of an earlier status or page arriving late are dropped.
  let generation = 0;

  function query(before?: string): string {
    const params = new URLSearchParams({ stage: 'legal', status: status.value, limit: String(REFERRALS_PAGE) });
    if (before) params.set('before', before);
    return `/api/dunning/cases?${params}`;
  }

  /** The first page of the referrals with this status (the current one when omitted). */
  async function load(next: DunningStatus = status.value): Promise<void> {
    const mine = ++generation;
    status.value = next;
    state.value = 'loading';
    message.value = null;
    try {
      const answer = await request(query(), { token: useSessionStore().token, schema: dunningCaseListSchema });
      if (mine !== generation) return;
      cases.value = answer.cases;
      hasMore.value = answer.hasMore;
      state.value = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      cases.value = [];
      hasMore.value = false;
      if (e instanceof ApiError && e.status === 404) {
        state.value = 'unavailable';
        message.value = 'Dunning is not available on this server.';
      } else {
        state.value = 'error';
        message.value = errorMessage(e);
      }
    }
  }

  /** The next, older page: cases opened before the last one shown. */
  async function loadMore(): Promise<void> {
    const last = cases.value.at(-1);
    if (!last || !hasMore.value || loadingMore.value) return;
    const mine = generation;
    loadingMore.value = true;
    try {
      const answer = await request(query(last.openedAt), {
        token: useSessionStore().token,
        schema: dunningCaseListSchema,
      });
      if (mine !== generation) return;
      const known = new Set(cases.value.map((c) => c.id));
      cases.value = [...cases.value, ...answer.cases.filter((c) => !known.has(c.id))];
      hasMore.value = answer.hasMore;
    } catch (e) {
      if (mine === generation) message.value = errorMessage(e);
    } finally {
      loadingMore.value = false;
    }
  }

  /**
   * The case's legal summary as an object URL the browser can open (fetched once per case).
   * Throws an ApiError when the case has no summary or the server refuses it.
   */
  async function summaryUrl(c: Pick<DunningCaseView, 'id' | 'legalSummaryUrl'>): Promise<string> {
    const known = summaries.get(c.id);
    if (known) return known;
    const path = c.legalSummaryUrl ?? `/api/dunning/cases/${encodeURIComponent(c.id)}/legal-summary`;
    const blob = await requestBlob(path, { token: useSessionStore().token, accept: 'application/pdf' });
    const url = URL.createObjectURL(blob.type ? blob : new Blob([blob], { type: 'application/pdf' }));
    summaries.set(c.id, url);
    return url;
  }

  /** Forgets the list and frees the summaries (signing out, leaving the page). */
  function reset(): void {
    generation++;
    for (const url of summaries.values()) URL.revokeObjectURL(url);
    summaries.clear();
    cases.value = [];
    state.value = 'idle';
    message.value = null;
    hasMore.value = false;
    loadingMore.value = false;
  }

  return { cases, status, state, message, hasMore, loadingMore, load, loadMore, summaryUrl, reset };
});
