// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { DunningCaseView } from '@ringside/shared';
import { useReferralsStore } from './referrals';
import { useSessionStore } from './session';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function legalCase(n: number, overrides: Partial<DunningCaseView> = {}): DunningCaseView {
  const id = `665f1c2e9b1e4a00123400${String(n).padStart(2, '0')}`;
  return {
    id,
    customerId: '665f1c2e9b1e4a0012340001',
    customerName: `Customer ${n}`,
    currency: 'PLN',
    status: 'open',
    stage: 'legal',
    amount: 1234.5,
    oldestDueAt: '2031-01-01T00:00:00.000Z',
    openedAt: `2031-02-${String(28 - n).padStart(2, '0')}T09:00:00.000Z`,
    legalSummaryUrl: `/api/dunning/cases/${id}/legal-summary`,
    callAttempts: 3,
    history: [],
    ...overrides,
  };
}

beforeEach(() => {
  setActivePinia(createPinia());
  useSessionStore().token = 'jwt-legal';
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('referrals store: legal-stage dunning cases', () => {
  it('asks for legal-stage cases of one status with the token, and pages with `before`', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://console');
      return url.searchParams.get('before')
        ? json(200, { cases: [legalCase(3)], hasMore: false })
        : json(200, { cases: [legalCase(1), legalCase(2)], hasMore: true });
    });
    vi.stubGlobal('fetch', fetchMock);
    const referrals = useReferralsStore();

    await referrals.load();

    const [first, init] = fetchMock.mock.calls[0] ?? [];
    const url = new URL(String(first), 'http://console');
    expect(url.pathname).toBe('/api/dunning/cases');
    expect(Object.fromEntries(url.searchParams)).toEqual({ stage: 'legal', status: 'open', limit: '50' });
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-legal');
    expect(referrals.state).toBe('ready');
    expect(referrals.cases.map((c) => c.customerName)).toEqual(['Customer 1', 'Customer 2']);
    expect(referrals.hasMore).toBe(true);

    await referrals.loadMore();

    expect(new URL(String(fetchMock.mock.calls[1]?.[0]), 'http://console').searchParams.get('before')).toBe(
      legalCase(2).openedAt,
    );
    expect(referrals.cases.map((c) => c.customerName)).toEqual(['Customer 1', 'Customer 2', 'Customer 3']);
    expect(referrals.hasMore).toBe(false);
  });

  it('another status is another query', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () =>
      json(200, { cases: [legalCase(1, { status: 'closed', closedReason: 'paid' })], hasMore: false }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const referrals = useReferralsStore();

    await referrals.load('closed');

    expect(new URL(String(fetchMock.mock.calls[0]?.[0]), 'http://console').searchParams.get('status')).toBe('closed');
    expect(referrals.status).toBe('closed');
    expect(referrals.cases[0]?.closedReason).toBe('paid');
  });

  it('an answer that is not a case list is an error, not an empty list', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => json(200, { cases: [{ id: 'x' }] })),
    );
    const referrals = useReferralsStore();

    await referrals.load();

    expect(referrals.state).toBe('error');
    expect(referrals.message).toMatch(/does not understand/);
    expect(referrals.cases).toEqual([]);
  });

  it("the server's refusal is shown in its own words", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => json(403, { error: { code: 'forbidden', message: 'you may not do this' } })),
    );
    const referrals = useReferralsStore();

    await referrals.load();

    expect(referrals.state).toBe('error');
    expect(referrals.message).toBe('you may not do this');
  });

  it('fetches a summary once, with the token, as an object URL; reset frees it', async () => {
    const pdf = new Blob(['%PDF-1.7'], { type: 'application/pdf' });
    const fetchMock = vi.fn<typeof fetch>(
      async () => new Response(pdf, { status: 200, headers: { 'Content-Type': 'application/pdf' } }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const created = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:console/summary-1');
    const revoked = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const referrals = useReferralsStore();
    const c = legalCase(1);

    await expect(referrals.summaryUrl(c)).resolves.toBe('blob:console/summary-1');
    await expect(referrals.summaryUrl(c)).resolves.toBe('blob:console/summary-1');

    expect(fetchMock).toHaveBeenCalledOnce();
    const [path, init] = fetchMock.mock.calls[0] ?? [];
    expect(path).toBe(c.legalSummaryUrl);
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-legal');
    expect(created).toHaveBeenCalledOnce();

    referrals.reset();
    expect(revoked).toHaveBeenCalledWith('blob:console/summary-1');
    created.mockRestore();
    revoked.mockRestore();
  });

  it('a summary the server does not have is an error with its message', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => json(404, { error: { code: 'not_found', message: 'legal summary not found' } })),
    );
    const referrals = useReferralsStore();

    await expect(referrals.summaryUrl(legalCase(1))).rejects.toThrow('legal summary not found');
  });
});
