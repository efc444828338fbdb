// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useDialingStore } from './dialing';
import { CUSTOMER, json, refuse, signInAgent } from './customers.testing';

beforeEach(signInAgent);
afterEach(() => vi.unstubAllGlobals());

describe('dialing store: click-to-dial', () => {
  it('asks the server to call the number with the bearer token and says whom it is calling', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => json(201, { callId: 'CA123', to: '+48601234567' }));
    vi.stubGlobal('fetch', fetchMock);

    await expect(useDialingStore().dial(CUSTOMER, '+48601234567')).resolves.toEqual({
      kind: 'calling',
      to: '+48601234567',
      callId: 'CA123',
    });

    const [input, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(input)).toBe('/api/calls/outbound');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ customerId: CUSTOMER, phone: '+48601234567' });
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-agent');
  });

  it("passes on refusals in the server's words, with the next calling window when there is one", async () => {
    const dialing = useDialingStore();
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => refuse(409, 'conflict', 'this customer asked not to be called (do-not-call)')),
    );
    await expect(dialing.dial(CUSTOMER, '+48601234567')).resolves.toEqual({
      kind: 'refused',
      message: 'this customer asked not to be called (do-not-call)',
      nextWindow: null,
    });

    const hours = "outside the customer's calling hours; next window 2026-11-25T07:00:00.000Z";
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => refuse(409, 'conflict', hours, { nextWindow: '2026-11-25T07:00:00.000Z' })),
    );
    await expect(dialing.dial(CUSTOMER, '+48601234567')).resolves.toEqual({
      kind: 'refused',
      message: hours,
      nextWindow: '2026-11-25T07:00:00.000Z',
    });

    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => refuse(503, 'unavailable', 'no phone endpoint to connect you to')),
    );
    await expect(dialing.dial(CUSTOMER, '+48601234567')).resolves.toEqual({
      kind: 'error',
      message: 'no phone endpoint to connect you to',
    });
  });
});
