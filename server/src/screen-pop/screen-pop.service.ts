import type { ScreenPop } from '@ringside/shared';
import type { Models } from '../db/models';
import { assemblePop, readCustomerPop, type PopCall } from './pop-part';

export { toPopCustomer } from './pop-part';

export interface PopInput extends PopCall {
  now: Date;
}

/**
 * Builds the whole pop with parallel indexed reads (one round of queries, no joins). The call path
 * reads the customer's pop summary instead (summaries.ts); this stays as its fallback and checker.
 */
export async function buildScreenPop(models: Models, input: PopInput): Promise<ScreenPop> {
  const customer = input.resolution.customer;
  const facts = customer ? await readCustomerPop(models, customer) : undefined;
  return assemblePop(input, facts, input.now);
}

/**
 * The pop an agent may see of a customer outside its portfolio: who is calling, nothing more
 * (no balance, purchases, cases, history or dunning).
 */
export function identityOnly(pop: ScreenPop): ScreenPop {
  const c = pop.customer;
  return {
    callId: pop.callId,
    receivedAt: pop.receivedAt,
    caller: pop.caller,
    match: pop.match,
    ...(c
      ? {
          customer: {
            id: c.id,
            kind: c.kind,
            name: c.name,
            phones: c.phones,
            contacts: [],
            labels: [],
            timeZone: c.timeZone,
            ...(c.owner ? { owner: c.owner } : {}),
            restricted: true,
          },
        }
      : {}),
    ...(pop.candidates ? { candidates: pop.candidates } : {}),
    balance: { currency: pop.balance.currency, outstanding: 0, overdue: 0, oldestOverdueDays: 0 },
    creditTerms: { limit: 0, paymentTermsDays: 0, available: 0 },
    recentPurchases: [],
    suggestions: [],
    openCases: [],
    lastInteractions: [],
  };
}
