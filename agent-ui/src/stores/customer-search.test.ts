// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useCustomerSearchStore } from './customer-search';
import { useSessionStore } from './session';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const customer = (n: number) => ({
  id: `665f1c2e9b1e4a00123400${String(n).padStart(2, '0')}`,
  kind: 'person',
  name: `Anna Kowalska ${n}`,
  phones: [],
  labels: [],
});

beforeEach(() => {
  setActivePinia(createPinia());
  useSessionStore().token = 'jwt-agent';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('customer search store', () => {
  it('says how many letters a name prefix needs and sends nothing below the minimum', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => json(200, { customers: [], page: 1, hasMore: false }));
    vi.stubGlobal('fetch', fetchMock);
    const search = useCustomerSearchStore();

    for (const text of ['ko', ' Łó ', 'k.o']) {
      await search.search(text, '');
      expect(search.error).toBe('Type at least 3 letters of the name (accents are not needed).');
    }
    expect(fetchMock).not.toHaveBeenCalled();

    // A phone or an email is not a name prefix; three letters are enough.
    await search.search('601 234 567', '');
    await search.search('kow', '');
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(search.error).toBeNull();
  });

  it('words the server refusing a short prefix from its field, not its message', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () =>
        json(400, {
          error: { code: 'bad_request', message: 'q: give at least 3 letters', details: [{ path: 'q', minimum: 3 }] },
        }),
      ),
    );
    const search = useCustomerSearchStore();
    await search.search('abc', '');
    expect(search.error).toBe('Type at least 3 letters of the name (accents are not needed).');
  });

  it('adds the next page below the results with "more results", through the cursor', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://console');
      if (url.searchParams.get('after') === 'cursor-1')
        return json(200, { customers: [customer(3)], page: 2, hasMore: false });
      return json(200, { customers: [customer(1), customer(2)], page: 1, hasMore: true, cursor: 'cursor-1' });
    });
    vi.stubGlobal('fetch', fetchMock);
    const search = useCustomerSearchStore();

    await search.search('kowal', '');
    expect(search.results.map((c) => c.name)).toEqual(['Anna Kowalska 1', 'Anna Kowalska 2']);
    expect(search.hasMore).toBe(true);

    await search.more();
    expect(search.results.map((c) => c.name)).toEqual(['Anna Kowalska 1', 'Anna Kowalska 2', 'Anna Kowalska 3']);
    expect(search.hasMore).toBe(false);
    const second = new URL(String(fetchMock.mock.calls[1]?.[0]), 'http://console');
    expect(Object.fromEntries(second.searchParams)).toMatchObject({ q: 'kowal', after: 'cursor-1', page: '2' });

    await search.more(); // nothing more to ask for
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
