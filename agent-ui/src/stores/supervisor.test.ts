// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { QueueStats } from '@ringside/shared';
import type * as SocketModule from '../services/socket';
import { send } from '../services/socket';
import { HISTORY_MS, useSupervisorStore } from './supervisor';
import { useSessionStore } from './session';

vi.mock('../services/socket', async (importOriginal) => {
  const actual = await importOriginal<typeof SocketModule>();
  return { ...actual, send: vi.fn() };
});
const sendMock = vi.mocked(send);

const T0 = Date.parse('2025-03-14T09:00:00.000Z');

function figures(at: number, waiting: [number, number], p95: number | null = 120): QueueStats {
  return {
    at: new Date(at).toISOString(),
    queues: [
      {
        name: 'support',
        waiting: waiting[0],
        longestWaitSec: waiting[0] ? 42 : 0,
        serviceLevel: 0.9,
        abandonRate: 0.05,
        averageHandleSec: 180,
      },
      {
        name: 'collections',
        waiting: waiting[1],
        longestWaitSec: 0,
        serviceLevel: 1,
        abandonRate: 0,
        averageHandleSec: 0,
      },
    ],
    agents: [
      { agentId: 'a1', name: 'Ada', status: 'available', sinceSec: 30, connected: true },
      { agentId: 'a2', name: 'Bob', status: 'on_call', sinceSec: 90, connected: true },
    ],
    callbacks: { due: 2, overdue: 1 },
    popLatencyP95Ms: p95,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

beforeEach(() => {
  setActivePinia(createPinia());
  sendMock.mockReset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('supervisor store: live figures', () => {
  it('shows the latest figures, counts waiting calls over queues and times agents on this clock', () => {
    const supervisor = useSupervisorStore();
    expect(supervisor.receiveStats(figures(T0, [3, 1]))).toBe(true);

    expect(supervisor.availability).toBe('live');
    expect(supervisor.waitingTotal).toBe(4);
    expect(supervisor.history).toEqual([{ at: T0, waiting: 4, popLatencyP95Ms: 120 }]);
    expect(supervisor.agents.a2).toMatchObject({ name: 'Bob', status: 'on_call', since: T0 - 90_000 });
    expect(supervisor.sortedAgents.map((a) => a.name)).toEqual(['Bob', 'Ada']); // on a call first
  });

  it('keeps one chart point per moment, ignores late figures and keeps one hour', () => {
    const supervisor = useSupervisorStore();
    supervisor.receiveStats(figures(T0, [1, 0]));
    supervisor.receiveStats(figures(T0, [2, 0])); // same moment again: replaces
    supervisor.receiveStats(figures(T0 + 1000, [3, 0]));
    supervisor.receiveStats(figures(T0 + 500, [9, 9])); // late: ignored

    expect(supervisor.history.map((p) => p.waiting)).toEqual([2, 3]);
    expect(supervisor.waitingTotal).toBe(3);

    supervisor.receiveStats(figures(T0 + HISTORY_MS + 1000, [0, 0], null));
    expect(supervisor.history.map((p) => p.at)).toEqual([T0 + HISTORY_MS + 1000]);
    expect(supervisor.history[0]?.popLatencyP95Ms).toBeNull();
  });

  it('refuses figures it cannot read and keeps what it had', () => {
    const supervisor = useSupervisorStore();
    supervisor.receiveStats(figures(T0, [1, 0]));
    expect(supervisor.receiveStats({ at: 'soon', queues: 'many' })).toBe(false);
    expect(supervisor.waitingTotal).toBe(1);
  });

  it('moves an agent at once on agent:state and ignores agents not on the board', () => {
    const supervisor = useSupervisorStore();
    supervisor.receiveStats(figures(T0, [0, 0]));
    supervisor.receiveAgentState({
      agentId: 'a1',
      status: 'away',
      reason: 'Lunch',
      since: new Date(T0 - 5000).toISOString(),
    });
    supervisor.receiveAgentState({ agentId: 'zz', status: 'available', since: new Date(T0).toISOString() });

    expect(supervisor.agents.a1).toMatchObject({ status: 'away', reason: 'Lunch', since: T0 - 5000 });
    expect(supervisor.agents.zz).toBeUndefined();
    expect(supervisor.agentsByStatus).toEqual({ away: 1, on_call: 1 });
  });
});

describe('supervisor store: loading and actions', () => {
  it('says so when the server has no live figures yet (404) and still lists the agents', async () => {
    useSessionStore().token = 'jwt-sup';
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = String(input);
      if (url === '/api/supervisor/stats') return json(404, { error: { code: 'not_found', message: 'no such route' } });
      if (url === '/api/agents') {
        return json(200, {
          agents: [
            {
              id: 'a1',
              name: 'Ada',
              email: 'a@x',
              skills: [],
              state: { status: 'away', since: new Date(T0 - 60_000).toISOString(), reason: 'Break' },
            },
          ],
        });
      }
      return json(500, {});
    });
    vi.stubGlobal('fetch', fetchMock);
    const supervisor = useSupervisorStore();

    await supervisor.load();

    expect(supervisor.availability).toBe('unavailable');
    expect(supervisor.message).toMatch(/not available on this server yet/);
    expect(supervisor.agents.a1).toMatchObject({ status: 'away', reason: 'Break', since: T0 - 60_000 });
    const init = fetchMock.mock.calls[0]?.[1];
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer jwt-sup');
  });

  it('polls the figures once on load', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input) =>
        String(input) === '/api/supervisor/stats' ? json(200, figures(T0, [2, 0])) : json(200, { agents: [] }),
      ),
    );
    const supervisor = useSupervisorStore();
    await supervisor.load();
    expect(supervisor.availability).toBe('live');
    expect(supervisor.waitingTotal).toBe(2);
  });

  it('keeps the dunning progress that comes with the figures', async () => {
    const dunning = {
      byStage: { none: 1, sms: 4, letter: 2, call: 1, legal: 0 },
      open: 7,
      paused: 1,
      promisesKept: 2,
      promisesBroken: 1,
      recovered: [{ currency: 'PLN', amount: 1234.5 }],
      lastScanAt: new Date(T0).toISOString(),
    };
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async (input) =>
        String(input) === '/api/supervisor/stats'
          ? json(200, { ...figures(T0, [0, 0]), dunning })
          : json(200, { agents: [] }),
      ),
    );
    const supervisor = useSupervisorStore();
    await supervisor.load();
    expect(supervisor.stats?.dunning).toEqual(dunning);
  });

  it("sets another agent's state with agentId and shows the server's refusal on that agent", async () => {
    const supervisor = useSupervisorStore();
    supervisor.receiveStats(figures(T0, [0, 0]));

    sendMock.mockResolvedValueOnce({
      ok: true,
      data: { agentId: 'a1', status: 'away', reason: 'Coaching', since: new Date(T0).toISOString() },
    });
    await expect(supervisor.setAgentState('a1', 'away', 'Coaching')).resolves.toBe(true);
    expect(sendMock).toHaveBeenCalledWith('agent:state:set', { agentId: 'a1', status: 'away', reason: 'Coaching' });
    expect(supervisor.agents.a1?.status).toBe('away');

    // A push that overtakes the answer is newer: the agent went available and was reserved at once.
    sendMock.mockImplementationOnce(async () => {
      supervisor.receiveAgentState({ agentId: 'a1', status: 'reserved', since: new Date(T0 + 2000).toISOString() });
      return { ok: true, data: { agentId: 'a1', status: 'available', since: new Date(T0 + 1000).toISOString() } };
    });
    await supervisor.setAgentState('a1', 'available');
    expect(supervisor.agents.a1?.status).toBe('reserved');

    sendMock.mockResolvedValueOnce({
      ok: false,
      error: 'the agent is busy with a call; finish it first',
      code: 'conflict',
    });
    await expect(supervisor.setAgentState('a2', 'available')).resolves.toBe(false);
    expect(supervisor.agents.a2).toMatchObject({
      status: 'on_call',
      error: 'the agent is busy with a call; finish it first',
      busy: false,
    });
  });
});

describe('supervisor alerts', () => {
  beforeEach(() => setActivePinia(createPinia()));

  const alert = (id: string, at: string) => ({
    id,
    kind: 'agents_away' as const,
    at,
    count: 3,
    windowSec: 60,
    agents: [{ agentId: 'a1', name: 'Agent 1' }],
  });

  it('keeps each alert once, newest first, and refuses what it cannot read', () => {
    const store = useSupervisorStore();
    expect(store.receiveAlert(alert('x', '2026-01-01T10:00:00Z'))).toBe(true);
    expect(store.receiveAlert(alert('y', '2026-01-01T10:05:00Z'))).toBe(true);
    expect(store.receiveAlert({ ...alert('x', '2026-01-01T10:00:00Z'), count: 5 })).toBe(true);
    expect(store.alerts.map((a) => [a.id, a.count])).toEqual([
      ['y', 3],
      ['x', 5],
    ]);
    expect(store.receiveAlert({ id: 'z', kind: 'nope' })).toBe(false);
    expect(store.alerts).toHaveLength(2);
  });

  it('hides a dismissed alert but keeps it listed', () => {
    const store = useSupervisorStore();
    store.receiveAlert(alert('x', '2026-01-01T10:00:00Z'));
    store.dismissAlert('x');
    expect(store.openAlerts).toEqual([]);
    expect(store.alerts).toHaveLength(1);
  });
});
