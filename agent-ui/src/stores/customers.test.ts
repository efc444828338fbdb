// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useCustomersStore } from './customers';
import { useSessionStore } from './session';

const CUSTOMER = '665f1c2e9b1e4a0012340001';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const refuse = (status: number, code: string, message: string) => json(status, { error: { code, message } });

beforeEach(() => {
  setActivePinia(createPinia());
  useSessionStore().token = 'jwt-agent';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('customers store: click-to-dial', () => {
  it('asks the server to call the number with the bearer token and says whom it is calling', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => json(201, { callId: 'CA123', to: '+48601234567' }));
    vi.stubGlobal('fetch', fetchMock);

    await expect(useCustomersStore().dial(CUSTOMER, '+48601234567')).resolves.toEqual({ kind: 'calling', to: '+48601234567', callId: 'CA123' });

    const [input, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(input)).toBe('/api/calls/outbound');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ customerId: CUSTOMER, phone: '+48601234567' });
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-agent');
  });

  it("passes on refusals in the server's words, with the next calling window when there is one", async () => {
    const customers = useCustomersStore();
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => refuse(409, 'conflict', 'this customer asked not to be called (do-not-call)')));
    await expect(customers.dial(CUSTOMER, '+48601234567')).resolves.toEqual({
      kind: 'refused',
      message: 'this customer asked not to be called (do-not-call)',
      nextWindow: null,
    });

    const hours = "outside the customer's calling hours; next window 2026-11-25T07:00:00.000Z";
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => refuse(409, 'conflict', hours)));
    await expect(customers.dial(CUSTOMER, '+48601234567')).resolves.toEqual({ kind: 'refused', message: hours, nextWindow: '2026-11-25T07:00:00.000Z' });

    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => refuse(503, 'unavailable', 'no phone endpoint to connect you to')));
    await expect(customers.dial(CUSTOMER, '+48601234567')).resolves.toEqual({ kind: 'error', message: 'no phone endpoint to connect you to' });
  });
});

describe('customers store: my callbacks', () => {
  it('takes an offered callback and reloads the list; a 409 comes back as words', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/accept')
        ? json(200, { providerCallId: 'CA9' })
        : json(200, { callbacks: [{ id: 'cb1', customerId: CUSTOMER, customerName: 'Anna Kowalska', dueAt: '2031-03-14T09:00:00.000Z', reason: 'r', status: 'dialing' }] }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const customers = useCustomersStore();

    await expect(customers.acceptCallback('cb1')).resolves.toBeNull();
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe('/api/callbacks/cb1/accept');
    expect(fetchMock.mock.calls[0]?.[1]?.method).toBe('POST');
    expect(customers.callbacks[0]).toMatchObject({ customerName: 'Anna Kowalska', status: 'dialing' });

    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => refuse(409, 'conflict', 'this callback is not offered to you (taken by someone else, or not due)')));
    await expect(customers.acceptCallback('cb1')).resolves.toMatch(/not offered to you/);
  });
});
