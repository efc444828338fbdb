// A call as this console holds it (DeskCall), and keeping the call in hand across a reload
// (sessionStorage: connected and wrap-up calls only, read back through the pop's schema).
import { screenPopSchema, type CallOffered, type ScreenPop } from '@ringside/shared';

/**
 * - `offered`: ringing on this console; accept or decline
 * - `accepting`: accept sent, the provider is connecting the caller
 * - `connected`: talking; notes
 * - `wrap_up`: the caller hung up (or the agent moved on): disposition, then done
 */
export type CallPhase = 'offered' | 'accepting' | 'connected' | 'wrap_up';

export interface DeskCall {
  callId: string;
  offer: CallOffered | null;
  pop: ScreenPop | null;
  phase: CallPhase;
  /** Local clock (ms): when this console first heard of the call. */
  receivedAt: number;
  connectedAt: number | null;
  wrapUpAt: number | null;
  /** Why the call left the line, in words for the agent. */
  endReason: string | null;
  /** The note being written; sent with the wrap-up. */
  note: string;
  /** The customer this call was about when the pop could not tell: a chosen candidate or a new lead. */
  customerId: string | null;
  customerName: string | null;
  busy: boolean;
  error: string | null;
  /** After a reconnect, until the server replays the offer (or it is dropped). */
  stale: boolean;
}

export const CALLS_STORAGE_KEY = 'ringside.calls';

export function persistCalls(list: DeskCall[]): void {
  const kept = list.filter((c) => c.phase === 'connected' || c.phase === 'wrap_up').map((c) => ({ ...c, busy: false }));
  try {
    if (kept.length) sessionStorage.setItem(CALLS_STORAGE_KEY, JSON.stringify(kept));
    else sessionStorage.removeItem(CALLS_STORAGE_KEY);
  } catch {
    // Storage unavailable: a reload loses the call in hand, not the call itself.
  }
}

export function restoreCalls(): Record<string, DeskCall> {
  try {
    const raw = sessionStorage.getItem(CALLS_STORAGE_KEY);
    if (!raw) return {};
    const list: unknown = JSON.parse(raw);
    if (!Array.isArray(list)) return {};
    const restored: Record<string, DeskCall> = {};
    for (const item of list) {
      const call = readStoredCall(item);
      if (call) restored[call.callId] = call;
    }
    return restored;
  } catch {
    return {};
  }
}

function readStoredCall(item: unknown): DeskCall | null {
  if (typeof item !== 'object' || item === null) return null;
  const v = item as Record<string, unknown>;
  if (typeof v.callId !== 'string' || (v.phase !== 'connected' && v.phase !== 'wrap_up')) return null;
  const pop = v.pop === null ? null : screenPopSchema.safeParse(v.pop);
  if (pop && !pop.success) return null;
  const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  return {
    callId: v.callId,
    offer: null,
    pop: pop ? pop.data : null,
    phase: v.phase,
    receivedAt: num(v.receivedAt) ?? Date.now(),
    connectedAt: num(v.connectedAt),
    wrapUpAt: num(v.wrapUpAt),
    endReason: str(v.endReason),
    note: str(v.note) ?? '',
    customerId: str(v.customerId),
    customerName: str(v.customerName),
    busy: false,
    error: null,
    stale: false,
  };
}
