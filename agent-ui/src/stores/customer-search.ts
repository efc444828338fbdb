import { ref } from 'vue';
import { defineStore } from 'pinia';
import { errorMessage, request } from '../services/api';
import { customerSearchSchema, type CustomerSummary } from '../services/schemas';
import { useSessionStore } from './session';

/** The Customers page: a search by name prefix, email, phone or label, and its pages of results. */
export const useCustomerSearchStore = defineStore('customer-search', () => {
  const results = ref<CustomerSummary[]>([]);
  const page = ref(1);
  const hasMore = ref(false);
  const searching = ref(false);
  const searched = ref(false);
  const error = ref<string | null>(null);
  let lastQuery: { text: string; label: string } = { text: '', label: '' };

  /** Name prefix (no accents needed), email or phone in any form in `text`; a label in `label`. */
  async function search(text: string, label: string, pageNo = 1): Promise<void> {
    const q = text.trim();
    const l = label.trim().toLowerCase();
    error.value = null;
    if (!q && !l) {
      error.value = 'Type a name, email or phone number, or a label.';
      return;
    }
    lastQuery = { text: q, label: l };
    const params = new URLSearchParams({ page: String(pageNo), limit: '20' });
    if (q) params.set('q', q);
    if (l) params.set('label', l);
    searching.value = true;
    try {
      const answer = await request(`/api/customers?${params}`, {
        token: useSessionStore().token,
        schema: customerSearchSchema,
      });
      results.value = answer.customers;
      page.value = answer.page;
      hasMore.value = answer.hasMore;
      searched.value = true;
    } catch (e) {
      error.value = errorMessage(e);
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

  function reset(): void {
    results.value = [];
    page.value = 1;
    hasMore.value = false;
    searched.value = false;
    error.value = null;
  }

  return { results, page, hasMore, searching, searched, error, search, nextPage, previousPage, reset };
});
