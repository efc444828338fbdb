import { computed, ref, watch } from 'vue';
import { defineStore } from 'pinia';
import {
  screenPopSchema,
  type CallEnded,
  type CallOffered,
  type CallUpdated,
  type Disposition,
  type ScreenPop,
} from '@ringside/shared';
import { send } from '../services/socket';
import { useAgentStateStore } from './agent-state';
import { offerGoneNotice, callerLabel } from './call-notices';
import { CALLS_STORAGE_KEY, persistCalls, restoreCalls, type CallPhase, type DeskCall } from './desk-call';

export { CALLS_STORAGE_KEY, callerLabel, type CallPhase, type DeskCall };

/** How long after a reconnect an offer may take to be replayed before it counts as gone. */
export const REPLAY_GRACE_MS = 5000;

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

  /** `call:updated`: the caller is connected to this agent (also replayed after a reconnect). */
  function receiveUpdate(update: CallUpdated): void {
    if (update.status !== 'connected') return;
    const known = calls.value[update.callId];
    // A call the server says this agent is talking on, which this page no longer holds (reloaded while accepting).
    const call = known ?? (update.agentId ? upsert(update.callId) : undefined);
    if (!call) return;
    if (call.phase === 'offered' || call.phase === 'accepting') {
      call.phase = 'connected';
      call.connectedAt ??= Date.now();
      call.error = null;
    }
  }

  /** `call:ended`: an offer withdrawn or missed leaves the desk; a call in progress goes to wrap-up. */
  function receiveEnded(ended: CallEnded): void {
    const waitsForWrapUp = ended.kind === 'hangup' && ended.wrapUp === true;
    // The server says the agent talked on this call: it goes to wrap-up on the desk, even when the
    // page never heard the accept's answer or no longer holds the call (reloaded since).
    const call = calls.value[ended.callId] ?? (waitsForWrapUp ? upsert(ended.callId) : undefined);
    if (!call) return;
    if (waitsForWrapUp && call.phase !== 'wrap_up') call.phase = 'connected';
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
