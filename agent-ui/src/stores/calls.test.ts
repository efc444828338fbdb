// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { CallEnded, ScreenPop } from '@ringside/shared';
import type * as SocketModule from '../services/socket';
import { formatDateTime } from '../services/format';
import { closeSocket, openSocket, send } from '../services/socket';
import { offerFor, popFor } from '../testing/fixtures';
import { useAgentStateStore } from './agent-state';
import { CALLS_STORAGE_KEY, REPLAY_GRACE_MS, useCallsStore } from './calls';
import { bindRealtime } from './realtime';

// The socket is the boundary: what the store sends is recorded, the server's answers scripted.
vi.mock('../services/socket', async (importOriginal) => {
  const actual = await importOriginal<typeof SocketModule>();
  return { ...actual, send: vi.fn() };
});
const sendMock = vi.mocked(send);

beforeEach(() => {
  sessionStorage.clear();
  setActivePinia(createPinia());
  sendMock.mockReset();
});

afterEach(() => {
  vi.useRealTimers();
  closeSocket();
});

describe('calls store: offers and pops', () => {
  it('keeps one call per call id however often the server repeats the offer and the pop', () => {
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA1'));
    expect(calls.receivePop(popFor('CA1'))).toBe(true);
    calls.setNote('CA1', 'asked about the invoice');

    // A reconnect (or a reload) replays both.
    calls.receiveOffer(offerFor('CA1'));
    expect(calls.receivePop(popFor('CA1'))).toBe(true);

    expect(calls.active).toHaveLength(1);
    expect(calls.current?.phase).toBe('offered');
    expect(calls.current?.pop?.customer?.name).toBe('Anna Kowalska');
    expect(calls.current?.note).toBe('asked about the invoice');
  });

  it('takes a pop that arrives before its offer', () => {
    const calls = useCallsStore();
    calls.receivePop(popFor('CA2'));
    calls.receiveOffer(offerFor('CA2'));
    expect(calls.active).toHaveLength(1);
    expect(calls.current?.offer?.queue).toBe('support');
    expect(calls.current?.pop?.balance.overdue).toBe(1234.5);
  });

  it('refuses (does not acknowledge) a pop it cannot read', () => {
    const calls = useCallsStore();
    const broken = { ...popFor('CA3'), balance: { currency: 'PLN' } } as unknown as ScreenPop;
    expect(calls.receivePop(broken)).toBe(false);
    expect(calls.active).toHaveLength(0);
  });

  it('acknowledges the pop on receipt through the socket binding', () => {
    const socket = openSocket('token');
    bindRealtime(socket);
    const ack = vi.fn();
    const [listener] = socket.listeners('screenpop');
    listener?.(popFor('CA4'), ack);
    expect(ack).toHaveBeenCalledWith(true);
    expect(useCallsStore().current?.callId).toBe('CA4');
  });

  it('a withdrawn offer leaves the desk with a notice', () => {
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA5'));
    calls.receivePop(popFor('CA5'));
    calls.receiveEnded({
      callId: 'CA5',
      at: new Date().toISOString(),
      reason: 'offer withdrawn: not accepted',
      kind: 'offer_withdrawn',
      withdrawn: 'not_accepted',
    });
    expect(calls.active).toHaveLength(0);
    expect(calls.notice).toBe('The call from Anna Kowalska went to another agent (not accepted).');
  });

  it('words the end from its kind, whatever the reason says', () => {
    const calls = useCallsStore();
    const at = new Date().toISOString();
    calls.receiveOffer(offerFor('CA20'));
    calls.receiveEnded({
      callId: 'CA20',
      at,
      reason: 'reworded by the server',
      kind: 'offer_withdrawn',
      withdrawn: 'not_acknowledged',
    });
    expect(calls.notice).toBe('The call from +48601234567 went to another agent (not acknowledged).');

    calls.receiveOffer(offerFor('CA21'));
    calls.receiveEnded({
      callId: 'CA21',
      at,
      reason: 'offer withdrawn: not accepted',
      kind: 'offer_withdrawn',
      withdrawn: 'declined',
    });
    expect(calls.notice).toBe('You declined the call from +48601234567.');

    calls.receiveOffer(offerFor('CA22'));
    calls.receiveEnded({ callId: 'CA22', at, reason: 'offer withdrawn: declined', kind: 'hangup' });
    expect(calls.notice).toBe('+48601234567 hung up before the call was answered.');

    calls.receiveOffer(offerFor('CA23'));
    calls.receivePop(popFor('CA23'));
    calls.receiveEnded({
      callId: 'CA23',
      at,
      reason: 'anything',
      kind: 'callback_postponed',
      postponedTo: '2031-03-14T08:00:00.000Z',
    });
    expect(calls.notice).toBe(
      `Anna Kowalska is outside their calling hours: the callback is now due ${formatDateTime('2031-03-14T08:00:00.000Z')}.`,
    );
    expect(calls.active).toHaveLength(0);
  });

  it('a call:ended without kind is a plain end: the reason is not read beyond the withdrawn offer', () => {
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA24'));
    calls.receiveEnded({
      callId: 'CA24',
      at: new Date().toISOString(),
      reason: "outside the customer's calling hours; callback scheduled for 2031-03-14T08:00:00.000Z",
    } as CallEnded);
    expect(calls.notice).toBe('+48601234567 hung up before the call was answered.');
  });
});

describe('calls store: accept, talk, wrap up', () => {
  it('accept sends call:accept and connects the call', async () => {
    sendMock.mockResolvedValueOnce({ ok: true });
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA6'));
    calls.receivePop(popFor('CA6'));

    await expect(calls.accept('CA6')).resolves.toBe(true);

    expect(sendMock).toHaveBeenCalledWith('call:accept', { callId: 'CA6' });
    expect(calls.current?.phase).toBe('connected');
    expect(calls.current?.connectedAt).toEqual(expect.any(Number));
  });

  it('a failed accept keeps the offer and shows the server message', async () => {
    sendMock.mockResolvedValueOnce({
      ok: false,
      error: 'no twilio endpoint to ring for this agent',
      code: 'unavailable',
    });
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA7'));

    await expect(calls.accept('CA7')).resolves.toBe(false);

    expect(calls.current?.phase).toBe('offered');
    expect(calls.current?.error).toBe('no twilio endpoint to ring for this agent');
    expect(calls.current?.busy).toBe(false);
  });

  it('an accept the server refuses because the offer moved on removes the call', async () => {
    sendMock.mockResolvedValueOnce({ ok: false, error: 'this call is no longer offered to you', code: 'conflict' });
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA8'));
    await calls.accept('CA8');
    expect(calls.active).toHaveLength(0);
    expect(calls.notice).toMatch(/no longer yours/);
  });

  it('decline sets the agent available (which declines the offer on the server) and clears the desk', async () => {
    const agentState = useAgentStateStore();
    agentState.useAgent('agent-1');
    sendMock.mockResolvedValueOnce({
      ok: true,
      data: { agentId: 'agent-1', status: 'available', since: '2025-03-14T09:00:05.000Z' },
    });
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA9'));

    await expect(calls.decline('CA9')).resolves.toBe(true);

    expect(sendMock).toHaveBeenCalledWith('agent:state:set', { status: 'available' });
    expect(calls.active).toHaveLength(0);
    expect(agentState.status).toBe('available');
  });

  it('a push that overtakes the answer wins: going available can ring the agent at once', async () => {
    const agentState = useAgentStateStore();
    agentState.useAgent('agent-1');
    sendMock.mockImplementationOnce(async () => {
      // The server reserves the agent for a waiting call before it answers the change.
      agentState.receive({ agentId: 'agent-1', status: 'reserved', since: '2025-03-14T09:00:06.000Z' });
      return { ok: true, data: { agentId: 'agent-1', status: 'available', since: '2025-03-14T09:00:05.000Z' } };
    });

    await expect(agentState.set('available')).resolves.toBe(true);

    expect(agentState.status).toBe('reserved');
    expect(agentState.since).toBe('2025-03-14T09:00:06.000Z');
  });

  it('the caller hanging up moves a connected call to wrap-up; wrap-up sends disposition, note and the chosen customer', async () => {
    sendMock.mockResolvedValueOnce({ ok: true });
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA10'));
    calls.receivePop(
      popFor('CA10', {
        match: 'multiple',
        customer: undefined,
        candidates: [
          { id: 'c1', name: 'Jan', labels: [] },
          { id: 'c2', name: 'Ewa', labels: [] },
        ],
      }),
    );
    calls.receiveUpdate({ callId: 'CA10', status: 'connected', at: new Date().toISOString() });
    expect(calls.current?.phase).toBe('connected');

    calls.setNote('CA10', '  promised to pay on Friday  ');
    calls.chooseCustomer('CA10', { id: 'c2', name: 'Ewa' });
    calls.receiveEnded({ callId: 'CA10', at: new Date().toISOString(), reason: 'completed', kind: 'hangup' });
    expect(calls.current?.phase).toBe('wrap_up');
    expect(calls.current?.endReason).toBe('The caller hung up.');

    sendMock.mockResolvedValueOnce({ ok: true });
    await expect(calls.wrapUp('CA10', 'promise_to_pay')).resolves.toBe(true);

    expect(sendMock).toHaveBeenLastCalledWith('call:wrapup', {
      callId: 'CA10',
      disposition: 'promise_to_pay',
      note: 'promised to pay on Friday',
      customerId: 'c2',
    });
    expect(calls.active).toHaveLength(0);
    expect(calls.lastWrapped).toEqual({ callId: 'CA10', customerId: 'c2', name: 'Ewa' });
  });

  it('a callback the customer does not answer moves to wrap-up saying so', () => {
    const calls = useCallsStore();
    calls.receivePop(popFor('CA25'));
    calls.receiveUpdate({ callId: 'CA25', status: 'connected', at: new Date().toISOString() });
    calls.receiveEnded({
      callId: 'CA25',
      at: new Date().toISOString(),
      reason: 'callback not answered (busy)',
      kind: 'callback_unanswered',
    });
    expect(calls.current?.phase).toBe('wrap_up');
    expect(calls.current?.endReason).toBe('The customer did not answer the callback.');
  });

  it('a refused wrap-up keeps the call and the note', async () => {
    sendMock.mockResolvedValueOnce({ ok: false, error: 'no call of yours to wrap up with this id', code: 'conflict' });
    const calls = useCallsStore();
    calls.receivePop(popFor('CA11'));
    calls.receiveUpdate({ callId: 'CA11', status: 'connected', at: new Date().toISOString() });
    calls.setNote('CA11', 'note');
    calls.startWrapUp('CA11');

    await expect(calls.wrapUp('CA11', 'resolved')).resolves.toBe(false);

    expect(calls.current?.phase).toBe('wrap_up');
    expect(calls.current?.note).toBe('note');
    expect(calls.current?.error).toBe('no call of yours to wrap up with this id');
  });
});

describe('calls store: reloads and reconnects', () => {
  it('a call in hand survives a reload of the page; an offer is left to the server to replay', async () => {
    const calls = useCallsStore();
    calls.receivePop(popFor('CA12'));
    calls.receiveUpdate({ callId: 'CA12', status: 'connected', at: new Date().toISOString() });
    calls.setNote('CA12', 'draft note');
    calls.receiveOffer(offerFor('CA13'));
    await Promise.resolve(); // the store saves after the change
    await new Promise((r) => setTimeout(r, 0));
    expect(sessionStorage.getItem(CALLS_STORAGE_KEY)).toContain('CA12');

    setActivePinia(createPinia()); // a new page
    const reloaded = useCallsStore();

    expect(reloaded.active.map((c) => c.callId)).toEqual(['CA12']);
    expect(reloaded.current?.phase).toBe('connected');
    expect(reloaded.current?.note).toBe('draft note');
    expect(reloaded.current?.pop?.customer?.name).toBe('Anna Kowalska');
  });

  it('a caller who hangs up while the accept is under way leaves the call in wrap-up, not gone', async () => {
    let answer: (a: { ok: true }) => void = () => undefined;
    sendMock.mockReturnValueOnce(new Promise((r) => (answer = r)));
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA20'));
    calls.receivePop(popFor('CA20'));
    const accepted = calls.accept('CA20');
    const at = new Date().toISOString();
    calls.receiveEnded({ callId: 'CA20', at, reason: 'completed', kind: 'hangup', wrapUp: true });
    answer({ ok: true });
    await accepted;
    expect(calls.current).toMatchObject({ callId: 'CA20', phase: 'wrap_up', endReason: 'The caller hung up.' });
    // The same end without the connection (the caller hung up while it rang) takes the offer away.
    calls.receiveOffer(offerFor('CA21'));
    calls.receiveEnded({ callId: 'CA21', at, reason: 'canceled', kind: 'hangup' });
    expect(calls.active.map((c) => c.callId)).toEqual(['CA20']);
  });

  it('a page that lost the call learns it from the replay after a reconnect: talking, or waiting for the wrap-up', () => {
    const calls = useCallsStore();
    const at = new Date().toISOString();
    calls.receiveUpdate({ callId: 'CA22', status: 'connected', at, agentId: 'a1' });
    calls.receiveEnded({ callId: 'CA23', at, reason: 'completed', kind: 'hangup', wrapUp: true });
    calls.receiveEnded({ callId: 'CA24', at, reason: 'canceled', kind: 'hangup' });
    expect(calls.active.map((c) => [c.callId, c.phase])).toEqual([
      ['CA22', 'connected'],
      ['CA23', 'wrap_up'],
    ]);
  });

  it('after a reconnect, an offer the server does not replay in time is dropped; a replayed one stays', () => {
    vi.useFakeTimers();
    const calls = useCallsStore();
    calls.receiveOffer(offerFor('CA14'));
    calls.receiveOffer(offerFor('CA15'));

    calls.expectReplay();
    calls.receiveOffer(offerFor('CA15')); // replayed
    vi.advanceTimersByTime(REPLAY_GRACE_MS + 1);

    expect(calls.active.map((c) => c.callId)).toEqual(['CA15']);
    expect(calls.notice).toMatch(/withdrawn while the connection was down/);
  });
});
