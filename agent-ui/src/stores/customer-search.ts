import { ref } from 'vue';
import { defineStore } from 'pinia';
import { letterCount, MIN_NAME_PREFIX } from '@ringside/shared';
import { ApiError, errorMessage, request } from '../services/api';
import { customerSearchSchema, type CustomerSummary } from '../services/schemas';
import { useSessionStore } from './session';

const PAGE_SIZE = 20;
const SHORT_PREFIX = `Type at least ${MIN_NAME_PREFIX} letters of the name (accents are not needed).`;

/** Whether the server refused the search for a name prefix that is too short (400, field `q`). */
function tooShort(e: unknown): boolean {
  if (!(e instanceof ApiError) || e.code !== 'bad_request' || !Array.isArray(e.details)) return false;
  return e.details.some(
    (d: unknown) => typeof d === 'object' && d !== null && 'path' in d && d.path === 'q' && 'minimum' in d,
  );
}

/** What `text` asks for: a phone or an email is looked up whole, anything else is a name prefix. */
const isNamePrefix = (q: string) => !q.includes('@') && !/^[+(]?[\d\s().-]{6,}$/.test(q);

/**
 * The Customers page: a search by name prefix, email, phone or label. Results grow by "more
 * results": each answer carries a cursor to the next page, sent back as `after=`.
 */
export const useCustomerSearchStore = defineStore('customer-search', () => {
  const results = ref<CustomerSummary[]>([]);
  const page = ref(1);
  const hasMore = ref(false);
  const searching = ref(false);
  const searched = ref(false);
  const error = ref<string | null>(null);
  let cursor: string | undefined;
  let lastQuery: { text: string; label: string } = { text: '', label: '' };

  async function fetchPage(q: string, l: string, after?: string): Promise<boolean> {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), page: String(after ? page.value + 1 : 1) });
    if (q) params.set('q', q);
    if (l) params.set('label', l);
    if (after) params.set('after', after);
    searching.value = true;
    try {
      const answer = await request(`/api/customers?${params}`, {
        token: useSessionStore().token,
        schema: customerSearchSchema,
      });
      results.value = after ? [...results.value, ...answer.customers] : answer.customers;
      page.value = answer.page;
      hasMore.value = answer.hasMore;
      cursor = answer.cursor;
      searched.value = true;
      return true;
    } catch (e) {
      error.value = tooShort(e) ? SHORT_PREFIX : errorMessage(e);
      return false;
    } finally {
      searching.value = false;
    }
  }

  /** Name prefix (no accents needed), email or phone in any form in `text`; a label in `label`. */
  async function search(text: string, label: string): Promise<void> {
    const q = text.trim();
    const l = label.trim().toLowerCase();
    error.value = null;
    if (!q && !l) {
      error.value = 'Type a name, email or phone number, or a label.';
      return;
    }
    // Below the minimum the server would refuse it: say so without asking.
    if (q && isNamePrefix(q) && letterCount(q) < MIN_NAME_PREFIX) {
      error.value = SHORT_PREFIX;
      return;
    }
    lastQuery = { text: q, label: l };
    cursor = undefined;
    await fetchPage(q, l);
  }

  /** The next page of the same search, added below the results shown. */
  async function more(): Promise<void> {
    if (!hasMore.value || !cursor || searching.value) return;
    error.value = null;
    await fetchPage(lastQuery.text, lastQuery.label, cursor);
  }

  function reset(): void {
    results.value = [];
    page.value = 1;
    hasMore.value = false;
    searched.value = false;
    error.value = null;
    cursor = undefined;
  }

  return { results, page, hasMore, searching, searched, error, search, more, reset };
});
