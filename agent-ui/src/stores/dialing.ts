import { defineStore } from 'pinia';
import { ApiError, errorMessage, request } from '../services/api';
import { nextWindowOf } from '../services/format';
import { outboundCallSchema } from '../services/schemas';
import { useSessionStore } from './session';

export type DialResult =
  | { kind: 'calling'; to: string; callId: string }
  /** `nextWindow`: when the customer may be called, for a refusal outside calling hours. */
  | { kind: 'refused'; message: string; nextWindow: string | null }
  | { kind: 'error'; message: string };

/** Click-to-dial: the server calls a customer and connects this agent. */
export const useDialingStore = defineStore('dialing', () => {
  /**
   * `POST /api/calls/outbound`: the server calls the customer on `phone` and connects the agent.
   * A 409 is a refusal (do-not-call, outside calling hours), with the next window when its details carry one.
   */
  async function dial(customerId: string, phone: string): Promise<DialResult> {
    try {
      const answer = await request('/api/calls/outbound', {
        method: 'POST',
        token: useSessionStore().token,
        body: { customerId, phone },
        schema: outboundCallSchema,
      });
      return { kind: 'calling', to: answer.to, callId: answer.callId };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409)
        return { kind: 'refused', message: e.message, nextWindow: nextWindowOf(e) };
      return { kind: 'error', message: errorMessage(e) };
    }
  }

  return { dial };
});
