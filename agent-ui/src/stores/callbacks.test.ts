// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useCallbacksStore } from './callbacks';
import { useSessionStore } from './session';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function callback(id: string, status: string, dueAt: string, assignedTo?: string) {
  return {
    id,
    customerId: '665f1c2e9b1e4a0012340001',
    customerName: 'Anna Kowalska',
    phone: '+48601234567',
    queue: 'collections',
    reason: `reason ${id}`,
    dueAt,
    personal: assignedTo !== undefined,
    status,
    attempts: [],
    ...(assignedTo ? { assignedTo } : {}),
  };
}

beforeEach(() => {
  setActivePinia(createPinia());
  useSessionStore().token = 'jwt-sup';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('callbacks store: reassigning waiting callbacks', () => {
  it("lists everyone's scheduled and offered callbacks, soonest first, asking once per status", async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://console');
      if (url.pathname !== '/api/callbacks' || url.searchParams.get('mine') !== 'false') return json(500, {});
      return url.searchParams.get('status') === 'offered'
        ? json(200, { callbacks: [callback('cb2', 'offered', '2031-03-14T09:00:00.000Z', 'a1')] })
        : json(200, { callbacks: [callback('cb1', 'scheduled', '2031-03-14T12:00:00.000Z')] });
    });
    vi.stubGlobal('fetch', fetchMock);
    const callbacks = useCallbacksStore();

    await callbacks.loadWaiting();

    expect(callbacks.state).toBe('ready');
    expect(callbacks.sorted.map((c) => c.id)).toEqual(['cb2', 'cb1']);
    const statuses = fetchMock.mock.calls
      .map(([input]) => new URL(String(input), 'http://console').searchParams.get('status'))
      .sort();
    expect(statuses).toEqual(['offered', 'scheduled']);
    expect(new Headers(fetchMock.mock.calls[0]?.[1]?.headers).get('Authorization')).toBe('Bearer jwt-sup');
  });

  it('says so when the server has no callbacks API', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => json(404, { error: { code: 'not_found', message: 'no such route' } })),
    );
    const callbacks = useCallbacksStore();
    await callbacks.loadWaiting();
    expect(callbacks.state).toBe('unavailable');
    expect(callbacks.message).toMatch(/not available/);
  });

  it('reassigns with PATCH {assignedTo} and shows the new owner; a refusal comes back as words', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () =>
        json(200, { callbacks: [callback('cb1', 'scheduled', '2031-03-14T12:00:00.000Z')] }),
      ),
    );
    const callbacks = useCallbacksStore();
    await callbacks.loadWaiting();

    const { customerName: _name, ...withoutName } = callback('cb1', 'scheduled', '2031-03-14T12:00:00.000Z', 'a2');
    const fetchMock = vi.fn<typeof fetch>(async () => json(200, { callback: withoutName }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(callbacks.reassign('cb1', 'a2')).resolves.toBeNull();

    const [input, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(input)).toBe('/api/callbacks/cb1');
    expect(init?.method).toBe('PATCH');
    expect(JSON.parse(String(init?.body))).toEqual({ assignedTo: 'a2' });
    expect(callbacks.waiting[0]).toMatchObject({ assignedTo: 'a2', customerName: 'Anna Kowalska' });
    expect(callbacks.busy).toEqual({});

    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () =>
        json(400, {
          error: { code: 'bad_request', message: 'only a scheduled or offered callback can be reassigned' },
        }),
      ),
    );
    await expect(callbacks.reassign('cb1', 'a1')).resolves.toBe(
      'only a scheduled or offered callback can be reassigned',
    );
    expect(callbacks.waiting[0]?.assignedTo).toBe('a2');
    await expect(callbacks.reassign('cb1', '')).resolves.toBe('Choose an agent first.');
  });
});
