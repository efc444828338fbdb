import { defineStore } from 'pinia';
import { ApiError, errorMessage, request } from '../services/api';
import { customerCreatedSchema, duplicatesDetailSchema, type CustomerSummary } from '../services/schemas';
import { useSessionStore } from './session';

export type LeadResult =
  | { kind: 'created'; customer: CustomerSummary }
  | { kind: 'duplicates'; message: string; duplicates: CustomerSummary[] }
  | { kind: 'error'; message: string };

/** An unknown caller becomes a lead. */
export const useLeadsStore = defineStore('leads', () => {
  /**
   * Creates a lead from a name and a phone (the unknown caller's number). When the number or
   * name already belongs to someone the server says who; `force` creates it anyway.
   */
  async function createLead(
    name: string,
    phone: string,
    options: { force?: boolean; callId?: string } = {},
  ): Promise<LeadResult> {
    const trimmedName = name.trim();
    if (!trimmedName) return { kind: 'error', message: 'Enter the caller’s name.' };
    const raw = phone.trim();
    try {
      const answer = await request('/api/customers', {
        method: 'POST',
        token: useSessionStore().token,
        body: {
          kind: 'lead',
          name: trimmedName,
          phones: raw ? [{ raw }] : [],
          ...(options.force ? { force: true } : {}),
        },
        schema: customerCreatedSchema,
        callId: options.callId ?? null,
      });
      return { kind: 'created', customer: answer.customer };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const details = duplicatesDetailSchema.safeParse(e.details);
        return { kind: 'duplicates', message: e.message, duplicates: details.success ? details.data.duplicates : [] };
      }
      return { kind: 'error', message: errorMessage(e) };
    }
  }

  return { createLead };
});
