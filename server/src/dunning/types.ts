// Shapes the dunning modules share: the documents as the ladder reads them, a case's live state, a balance.
import type { Customer } from '../db/schemas/customer.model';
import type { Invoice } from '../db/schemas/invoice.model';
import type { DunningCase } from '../db/schemas/dunning-case.model';

export type CaseDoc = DunningCase;
export type CustomerDoc = Pick<
  Customer,
  '_id' | 'name' | 'phones' | 'flags' | 'timeZone' | 'address' | 'language' | 'country'
>;
export type InvoiceDoc = Pick<
  Invoice,
  '_id' | 'customerId' | 'currency' | 'number' | 'amount' | 'paid' | 'dueAt' | 'paymentReference'
>;
export type HistoryEntry = CaseDoc['history'][number];
/** What the scan compares of a live case. */
export type LiveCase = Pick<
  CaseDoc,
  '_id' | 'customerId' | 'currency' | 'amount' | 'oldestDueAt' | 'invoiceIds' | 'status' | 'stage'
>;

/** Where a case stands after a scan looked at it (the figures count these). */
export interface CaseState {
  status: CaseDoc['status'];
  stage: CaseDoc['stage'];
}

/** A live case to close, with what closing it reports (recovered money, the audit). */
export type CaseToClose = Pick<CaseDoc, '_id' | 'amount' | 'currency' | 'customerId'>;

/** What a case owes now: its open overdue invoices, oldest first. */
export interface Balance {
  amount: number;
  oldestDueAt: Date | undefined;
  invoices: InvoiceDoc[];
}

/** Counters of one scan: actions taken, and time spent per part of the steps. */
export interface Tally {
  count: (action: string, n?: number) => void;
  took: (part: string, since: number) => void;
}
