import { computed, ref, watch } from 'vue';
import { defineStore } from 'pinia';
import {
  screenPopSchema,
  type CallEnded,
  type CallOffered,
  type CallUpdated,
  type Disposition,
  type OfferWithdrawnReason,
  type ScreenPop,
} from '@ringside/shared';
import { formatDateTime } from '../services/format';
import { send } from '../services/socket';
import { useAgentStateStore } from './agent-state';

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

/** How long after a reconnect an offer may take to be replayed before it counts as gone. */
export const REPLAY_GRACE_MS = 5000;

export const CALLS_STORAGE_KEY = 'ringside.calls';

/** Offers, pops and the call in hand: idempotent by call id, whatever the server repeats. */
export const useCallsStore = defineStore('calls', () => {
  const calls = ref<Record<string, DeskCall>>(restoreCalls());
  /** The latest thing that happened to a call without the agent doing it (withdrawn, hung up). */
  const notice = ref<string | null>(null);
  /** The last call wrapped up on this console, to open its customer afterwards. */
  const lastWrapped = ref<{ callId: string; customerId: string | null; name: string | null } | null>(null);

  const active = computed(() => Object.values(calls.value).sort((a, b) => a.receivedAt - b.receivedAt));
  /** The call the agent works on: the oldest one on the desk. */
  const current = computed<DeskCall | null>(() => active.value[0] ?? null);
  const ringing = computed(() => active.value.filter((c) => c.phase === 'offered' || c.phase === 'accepting'));

  let replayTimer: ReturnType<typeof setTimeout> | null = null;

  function upsert(callId: string): DeskCall {
    const existing = calls.value[callId];
    if (existing) return existing;
    const created: DeskCall = {
      callId,
      offer: null,
      pop: null,
      phase: 'offered',
      receivedAt: Date.now(),
      connectedAt: null,
      wrapUpAt: null,
      endReason: null,
      note: '',
      customerId: null,
      customerName: null,
      busy: false,
      error: null,
      stale: false,
    };
    calls.value[callId] = created;
    // The reactive copy, so that later changes through it are seen.
    return calls.value[callId] ?? created;
  }

  /** `call:offered`; a replay of a known call only refreshes it. */
  function receiveOffer(offer: CallOffered): void {
    const call = upsert(offer.callId);
    call.offer = offer;
    call.stale = false;
  }

  /**
   * `screenpop`: returns whether this console can show it, which is what the server's
   * acknowledgement asks. A replayed pop replaces the same pop; nothing else changes.
   */
  function receivePop(raw: ScreenPop): boolean {
    const parsed = screenPopSchema.safeParse(raw);
    if (!parsed.success) {
      const call = calls.value[raw.callId];
      if (call) call.error = 'The screen pop for this call could not be read.';
      return false;
    }
    const call = upsert(parsed.data.callId);
    if (call.phase === 'offered' || call.phase === 'accepting' || call.pop === null) call.pop = parsed.data;
    call.stale = false;
    return true;
  }

  /** `call:updated`: the caller is connected to this agent. */
  function receiveUpdate(update: CallUpdated): void {
    const call = calls.value[update.callId];
    if (!call || update.status !== 'connected') return;
    if (call.phase === 'offered' || call.phase === 'accepting') {
      call.phase = 'connected';
      call.connectedAt ??= Date.now();
      call.error = null;
    }
  }

  /** `call:ended`: an offer withdrawn or missed leaves the desk; a call in progress goes to wrap-up. */
  function receiveEnded(ended: CallEnded): void {
    const call = calls.value[ended.callId];
    if (!call) return;
    if (call.phase === 'offered' || call.phase === 'accepting') {
      notice.value = offerGoneNotice(call, ended);
      remove(call.callId);
      return;
    }
    if (call.phase === 'connected') {
      call.phase = 'wrap_up';
      call.wrapUpAt = Date.now();
      call.endReason =
        ended.kind === 'callback_unanswered' ? 'The customer did not answer the callback.' : 'The caller hung up.';
    }
  }

  /** Takes the call: the provider rings the agent's phone and connects the caller. */
  async function accept(callId: string): Promise<boolean> {
    const call = calls.value[callId];
    if (!call || call.phase !== 'offered' || call.busy) return false;
    call.phase = 'accepting';
    call.busy = true;
    call.error = null;
    const answer = await send('call:accept', { callId });
    const now = calls.value[callId];
    if (!now) return answer.ok;
    now.busy = false;
    if (answer.ok) {
      if (now.phase === 'accepting') now.phase = 'connected';
      now.connectedAt ??= Date.now();
      return true;
    }
    if (answer.code === 'conflict' || answer.code === 'not_found') {
      notice.value = `The call from ${callerLabel(now)} is no longer yours to take: ${answer.error}.`;
      remove(callId);
      return false;
    }
    if (now.phase === 'accepting') now.phase = 'offered';
    now.error = answer.error;
    return false;
  }

  /**
   * Lets the call go to the next agent: on the server, an agent holding an offer who changes
   * state declines it. This agent stays available for the next call.
   */
  async function decline(callId: string): Promise<boolean> {
    const call = calls.value[callId];
    if (!call || call.phase !== 'offered' || call.busy) return false;
    call.busy = true;
    call.error = null;
    const agentState = useAgentStateStore();
    const declined = await agentState.set('available');
    const now = calls.value[callId];
    if (!now) return declined;
    if (declined) {
      notice.value = `You declined the call from ${callerLabel(now)}.`;
      remove(callId);
      return true;
    }
    now.busy = false;
    now.error = agentState.error;
    return false;
  }

  /** The agent is done talking: on to the disposition. The line is released with the wrap-up. */
  function startWrapUp(callId: string): void {
    const call = calls.value[callId];
    if (!call || call.phase !== 'connected') return;
    call.phase = 'wrap_up';
    call.wrapUpAt = Date.now();
  }

  function setNote(callId: string, text: string): void {
    const call = calls.value[callId];
    if (call) call.note = text;
  }

  /** Which customer the call was about (several matched, or a lead was just created); null to undo. */
  function chooseCustomer(callId: string, customer: { id: string; name: string } | null): void {
    const call = calls.value[callId];
    if (!call) return;
    call.customerId = customer?.id ?? null;
    call.customerName = customer?.name ?? null;
  }

  /** Disposition and note; the server frees the agent for the next call. */
  async function wrapUp(callId: string, disposition: Disposition): Promise<boolean> {
    const call = calls.value[callId];
    if (!call || (call.phase !== 'connected' && call.phase !== 'wrap_up') || call.busy) return false;
    call.busy = true;
    call.error = null;
    const note = call.note.trim();
    const answer = await send('call:wrapup', {
      callId,
      disposition,
      ...(note ? { note } : {}),
      ...(call.customerId ? { customerId: call.customerId } : {}),
    });
    const now = calls.value[callId];
    if (!now) return answer.ok;
    now.busy = false;
    if (!answer.ok) {
      now.error = answer.error;
      return false;
    }
    lastWrapped.value = {
      callId,
      customerId: now.customerId ?? now.pop?.customer?.id ?? null,
      name: now.customerName ?? now.pop?.customer?.name ?? null,
    };
    notice.value = null;
    remove(callId);
    return true;
  }

  /** After a reconnect the server replays offers still standing; the others are gone. */
  function expectReplay(): void {
    let waiting = false;
    for (const call of Object.values(calls.value)) {
      if (call.phase === 'offered') {
        call.stale = true;
        waiting = true;
      }
    }
    if (replayTimer !== null) clearTimeout(replayTimer);
    replayTimer = waiting ? setTimeout(dropStale, REPLAY_GRACE_MS) : null;
  }

  function dropStale(): void {
    replayTimer = null;
    for (const call of Object.values(calls.value)) {
      if (call.stale && call.phase === 'offered') {
        notice.value = `The call from ${callerLabel(call)} was withdrawn while the connection was down.`;
        remove(call.callId);
      }
    }
  }

  /**
   * Takes a call off the desk without telling the server: for a call kept across a reload that
   * the server no longer knows as this agent's (its wrap-up is refused).
   */
  function discard(callId: string): void {
    remove(callId);
  }

  function dismissNotice(): void {
    notice.value = null;
  }

  function remove(callId: string): void {
    delete calls.value[callId];
  }

  /** Signed out: nothing of the calls stays in this tab. */
  function reset(): void {
    if (replayTimer !== null) clearTimeout(replayTimer);
    replayTimer = null;
    calls.value = {};
    notice.value = null;
    lastWrapped.value = null;
  }

  // A call in hand (talking or wrapping up) survives a reload of the page; offers do not need
  // to, the server replays them.
  watch(calls, (value) => persistCalls(Object.values(value)), { deep: true });

  return {
    calls,
    notice,
    lastWrapped,
    active,
    current,
    ringing,
    receiveOffer,
    receivePop,
    receiveUpdate,
    receiveEnded,
    accept,
    decline,
    startWrapUp,
    setNote,
    chooseCustomer,
    wrapUp,
    expectReplay,
    discard,
    dismissNotice,
    reset,
  };
});

/** Who is calling, in a few words. */
export function callerLabel(call: Pick<DeskCall, 'pop' | 'offer' | 'callId'>): string {
  return call.pop?.customer?.name ?? call.pop?.caller.raw ?? call.offer?.from ?? 'an unknown caller';
}

/** Words for why an offer left this desk, from what the server says happened (`kind`). */
function offerGoneNotice(call: DeskCall, ended: CallEnded): string {
  const who = callerLabel(call);
  switch (ended.kind) {
    case 'offer_withdrawn':
      return withdrawnNotice(who, ended.withdrawn);
    case 'callback_postponed':
      return `${who} is outside their calling hours: the callback is now due ${formatDateTime(ended.postponedTo)}.`;
    case 'callback_unanswered':
      return `${who} did not answer the callback.`;
    case 'hangup':
      return `${who} hung up before the call was answered.`;
    case undefined:
      return unkindedNotice(who, ended.reason);
  }
}

const WITHDRAWN_WORDS: Record<Exclude<OfferWithdrawnReason, 'declined'>, string> = {
  not_accepted: 'not accepted',
  not_acknowledged: 'not acknowledged',
  console_disconnected: 'console disconnected',
};

function withdrawnNotice(who: string, why: OfferWithdrawnReason): string {
  if (why === 'declined') return `You declined the call from ${who}.`;
  return `The call from ${who} went to another agent (${WITHDRAWN_WORDS[why]}).`;
}

/**
 * A `call:ended` without `kind`, from a server that does not send it yet: a plain end. The match
 * on "offer withdrawn: …" keeps the withdrawn notice until then, and goes once the server sends `kind`.
 */
function unkindedNotice(who: string, reason: string): string {
  const withdrawn = /^offer withdrawn:\s*(.*)$/.exec(reason);
  if (withdrawn) {
    if (withdrawn[1] === 'declined') return `You declined the call from ${who}.`;
    return `The call from ${who} went to another agent (${withdrawn[1]}).`;
  }
  return `${who} hung up before the call was answered.`;
}

function persistCalls(list: DeskCall[]): void {
  const kept = list.filter((c) => c.phase === 'connected' || c.phase === 'wrap_up').map((c) => ({ ...c, busy: false }));
  try {
    if (kept.length) sessionStorage.setItem(CALLS_STORAGE_KEY, JSON.stringify(kept));
    else sessionStorage.removeItem(CALLS_STORAGE_KEY);
  } catch {
    // Storage unavailable: a reload loses the call in hand, not the call itself.
  }
}

function restoreCalls(): Record<string, DeskCall> {
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
