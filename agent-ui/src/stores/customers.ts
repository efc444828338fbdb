// The customer stores, one per page or concern:
//   customer-search.ts  the Customers page: search by name, email, phone or label, page by page
//   customer-page.ts    the customer 360 page: account, timeline, cases, and notes added to it
//   leads.ts            an unknown caller becomes a lead
//   dialing.ts          click-to-dial
//   my-callbacks.ts     the agent's own callbacks
import { useCustomerPageStore } from './customer-page';
import { useCustomerSearchStore } from './customer-search';
import { useMyCallbacksStore } from './my-callbacks';

export type { ListState } from './list-state';

/** Forgets the customers, results and callbacks a user saw (signing out). */
export function resetCustomerStores(): void {
  useCustomerSearchStore().reset();
  useCustomerPageStore().reset();
  useMyCallbacksStore().reset();
}
