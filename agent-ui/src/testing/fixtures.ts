import type { CallOffered, ScreenPop } from '@ringside/shared';

/** A pop as the server pushes it for a known customer with an overdue balance. */
export function popFor(callId: string, overrides: Partial<ScreenPop> = {}): ScreenPop {
  return {
    callId,
    receivedAt: '2025-03-14T09:00:00.000Z',
    caller: { raw: '+48 601 234 567', e164: '+48601234567' },
    match: 'unique',
    customer: {
      id: '665f1c2e9b1e4a0012340001',
      kind: 'person',
      name: 'Anna Kowalska',
      phones: [{ raw: '+48 601 234 567', e164: '+48601234567', type: 'mobile' }],
      contacts: [],
      labels: ['vip'],
      timeZone: 'Europe/Warsaw',
    },
    balance: { currency: 'PLN', outstanding: 1500, overdue: 1234.5, oldestOverdueDays: 12 },
    creditTerms: { limit: 5000, paymentTermsDays: 14, available: 3500 },
    recentPurchases: [],
    suggestions: [{ sku: 'BLADE-42', name: 'Mower blades', reason: 'Bought a lawnmower 11 months ago', score: 0.8 }],
    openCases: [],
    lastInteractions: [],
    ...overrides,
  };
}

export function offerFor(callId: string, overrides: Partial<CallOffered> = {}): CallOffered {
  return {
    callId,
    from: '+48601234567',
    to: '+48221234567',
    queue: 'support',
    offeredAt: '2025-03-14T09:00:00.100Z',
    expiresAt: '2025-03-14T09:00:30.100Z',
    reason: 'longest idle with skill support',
    ...overrides,
  };
}
