// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useMyCallbacksStore } from './my-callbacks';
import { CUSTOMER, json, refuse, signInAgent } from './customers.testing';

beforeEach(signInAgent);
afterEach(() => vi.unstubAllGlobals());

describe('my callbacks store', () => {
  it('takes an offered callback and reloads the list; a 409 comes back as words', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/accept')
        ? json(200, { providerCallId: 'CA9' })
        : json(200, {
            callbacks: [
              {
                id: 'cb1',
                customerId: CUSTOMER,
                customerName: 'Anna Kowalska',
                dueAt: '2031-03-14T09:00:00.000Z',
                reason: 'r',
                status: 'dialing',
              },
            ],
          }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const myCallbacks = useMyCallbacksStore();

    await expect(myCallbacks.accept('cb1')).resolves.toBeNull();
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe('/api/callbacks/cb1/accept');
    expect(fetchMock.mock.calls[0]?.[1]?.method).toBe('POST');
    expect(myCallbacks.callbacks[0]).toMatchObject({ customerName: 'Anna Kowalska', status: 'dialing' });

    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () =>
        refuse(409, 'conflict', 'this callback is not offered to you (taken by someone else, or not due)'),
      ),
    );
    await expect(myCallbacks.accept('cb1')).resolves.toMatch(/not offered to you/);
  });
});
