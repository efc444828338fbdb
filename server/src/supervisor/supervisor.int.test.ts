import { afterAll, beforeAll, expect, it } from 'vitest';
import { io as connectSocket } from 'socket.io-client';
import type { QueueStats } from '@ringside/shared';
import { ManualClock } from '../clock';
import { sleep, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';

const T0 = new Date('2026-11-23T10:00:00.000Z');
const clock = new ManualClock(T0);
const at = (sec: number) => clock.set(new Date(T0.getTime() + sec * 1000));

let h: CallsHarness;
let agents: TestAgent[];
let supervisorToken: string;
const pushed: QueueStats[] = [];
const agentStats: unknown[] = [];

async function stats(): Promise<QueueStats> {
  const res = await fetch(`${h.server.url}/api/supervisor/stats`, {
    headers: { authorization: `Bearer ${supervisorToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as QueueStats;
}
const support = (s: QueueStats) => s.queues.find((q) => q.name === 'support');
const holderOf = (callId: string) => agents.find((a) => a.pops.some((p) => p.callId === callId));

beforeAll(async () => {
  h = await startCallsHarness({}, { clock });
  agents = [await h.agent('agent1@ringside.test'), await h.agent('agent2@ringside.test')];
  for (const a of agents) {
    a.socket.on('queue:stats', (s) => agentStats.push(s));
    expect((await a.setState('available')).ok).toBe(true);
  }
  supervisorToken = await h.token('supervisor@ringside.test');
  const sup = connectSocket(h.server.url, {
    auth: { token: supervisorToken },
    transports: ['websocket'],
    forceNew: true,
  });
  sup.on('queue:stats', (s) => pushed.push(s));
  await new Promise<void>((r) => sup.once('connect', () => r()));
});

afterAll(async () => {
  await h.stop();
});

it('match a hand-computed scenario exactly', async () => {
  // 10:00:00 call A, answered after 5 s (inside the 20 s service level).
  at(0);
  const a = await h.incoming('+48 500 300 001');
  at(5);
  await until(() => Boolean(holderOf(a.callSid)), 3000, 'A offered');
  expect(await holderOf(a.callSid)!.emit('call:accept', { callId: a.callSid })).toEqual({ ok: true });
  // 10:00:05 call B, answered after 25 s (outside).
  const b = await h.incoming('+48 500 300 002');
  at(30);
  await until(() => Boolean(holderOf(b.callSid)), 3000, 'B offered');
  expect(await holderOf(b.callSid)!.emit('call:accept', { callId: b.callSid })).toEqual({ ok: true });
  // 10:00:30 call C finds nobody free, waits, and hangs up at 10:00:40.
  const c = await h.incoming('+48 500 300 003');
  at(35);
  expect(support(await stats())).toMatchObject({ waiting: 1, longestWaitSec: 5 });
  at(40);
  expect(await h.status(c.callSid, 'canceled')).toBe(204);
  await until(async () => (await h.models.Call.findById(c.callSid).lean())?.state === 'abandoned', 3000, 'C abandoned');
  // A: caller hangs up at 10:01:05, wrap-up at 10:01:10 → handled 65 s (accept → wrap-up).
  at(65);
  expect(await h.status(a.callSid, 'completed')).toBe(204);
  await until(() => holderOf(a.callSid)!.ended.includes(a.callSid), 3000, 'A ended');
  at(70);
  expect(await holderOf(a.callSid)!.emit('call:wrapup', { callId: a.callSid, disposition: 'resolved' })).toEqual({
    ok: true,
  });
  // B: hangs up at 10:01:30, wrap-up at 10:01:45 → handled 75 s.
  at(90);
  expect(await h.status(b.callSid, 'completed')).toBe(204);
  await until(() => holderOf(b.callSid)!.ended.includes(b.callSid), 3000, 'B ended');
  at(105);
  expect(await holderOf(b.callSid)!.emit('call:wrapup', { callId: b.callSid, disposition: 'follow_up' })).toEqual({
    ok: true,
  });

  const s = await stats();
  // offered 3; within SLA 1 (A); abandoned 1 (C); handle (65 + 75) / 2 = 70 s.
  expect(support(s)).toEqual({
    name: 'support',
    waiting: 0,
    longestWaitSec: 0,
    serviceLevel: 0.3333,
    abandonRate: 0.3333,
    averageHandleSec: 70,
  });
  expect(
    s.agents
      .filter((x) => x.status === 'available')
      .map((x) => x.name)
      .sort(),
  ).toEqual(expect.arrayContaining(['Agent 1', 'Agent 2']));
  expect(s.agents.find((x) => x.name === 'Agent 1')?.sinceSec).toBeGreaterThanOrEqual(0);
  expect(s.at).toBe(new Date(T0.getTime() + 105_000).toISOString());
});

it('pushes queue:stats to supervisors at most once a second, never to agents', async () => {
  const before = pushed.length;
  const started = Date.now();
  for (let i = 0; i < 30; i++) {
    await agents[0]!.setState(i % 2 ? 'available' : 'away');
    await sleep(50);
  }
  await sleep(1100);
  const seconds = (Date.now() - started) / 1000;
  const count = pushed.length - before;
  expect(count).toBeGreaterThanOrEqual(1);
  expect(count).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  expect(pushed.at(-1)?.queues.map((q) => q.name)).toEqual(['support', 'collections', 'sales']);
  expect(agentStats).toEqual([]);
  const agentToken = await fetch(`${h.server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'agent1@ringside.test', password: 'ringside' }),
  });
  const res = await fetch(`${h.server.url}/api/supervisor/stats`, {
    headers: { authorization: `Bearer ${((await agentToken.json()) as { token: string }).token}` },
  });
  expect(res.status).toBe(403);
});
