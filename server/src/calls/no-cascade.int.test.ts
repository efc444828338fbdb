import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket } from 'socket.io-client';
import type { SupervisorAlert } from '@ringside/shared';
import { supervisorAlertsSchema } from '@ringside/shared';
import {
  startCallsHarness,
  until,
  type AgentSocket,
  type CallsHarness,
  type TestAgent,
} from '../testing/calls-harness';

// A slow server must not empty the pool. An offer whose acknowledgement this process could not
// have heard in time (it stalled) moves on, but its agent stays available; a console that stays
// silent while the server keeps time still sets its agent away; and supervisors are told in both
// cases, once agents go away in numbers.
const AGENTS = ['agent1@ringside.test', 'agent2@ringside.test', 'agent3@ringside.test', 'agent4@ringside.test'];

let h: CallsHarness;
let agents: TestAgent[];
let supervisor: AgentSocket;
const alerts: SupervisorAlert[] = [];

/** Holds this process (server and consoles alike) for `ms`: the injected delay. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs meanwhile
  }
}

beforeAll(async () => {
  // Acknowledgement in 800 ms (the harness's); accepting in 4 s.
  h = await startCallsHarness();
  agents = [];
  for (const email of AGENTS) agents.push(await h.agent(email, { acking: false }));
  supervisor = connectSocket(h.server.url, {
    auth: { token: await h.token('supervisor@ringside.test') },
    transports: ['websocket'],
    forceNew: true,
  });
  supervisor.on('supervisor:alert', (a) => alerts.push(a));
  await new Promise<void>((resolve) => supervisor.once('connect', () => resolve()));
});

afterAll(async () => {
  supervisor.close();
  await h.stop();
});

afterEach(async () => {
  for (const a of agents) {
    a.socket.removeAllListeners('screenpop');
    a.socket.on('screenpop', (pop, ack) => {
      a.pops.push(pop);
      if (a.acking) ack(true);
    });
  }
  await h.models.Call.updateMany({ state: { $nin: ['ended', 'abandoned'] } }, { $set: { state: 'ended' } });
  await h.models.User.updateMany({ email: { $in: AGENTS } }, { $set: { 'state.status': 'offline' } });
  alerts.length = 0;
});

async function allAvailable(): Promise<void> {
  for (const a of agents) expect((await a.setState('available')).ok).toBe(true);
}

const statesOf = async () =>
  (await h.models.User.find({ email: { $in: AGENTS } }, { email: 1, state: 1 }).lean()).map((u) => u.state);

describe('an offer whose acknowledgement the server was too slow to hear', () => {
  it('moves on, leaves every agent available, and alerts supervisors that the server is late', async () => {
    await allAvailable();
    // Each console's first pop arrives while the process stalls for longer than the offer's
    // acknowledgement time; every later pop is acknowledged at once.
    for (const a of agents) {
      let first = true;
      a.socket.removeAllListeners('screenpop');
      a.socket.on('screenpop', (pop, ack) => {
        a.pops.push(pop);
        if (first) {
          first = false;
          setImmediate(() => stall(1200));
          return;
        }
        ack(true);
      });
    }
    const { callSid, status } = await h.incoming('+48 500 100 200');
    expect(status).toBe(200);
    await until(async () => Boolean((await h.models.Call.findById(callSid).lean())?.offerAckedAt), 15_000, 'an ack');
    const call = await h.models.Call.findById(callSid).lean();
    const passed = call?.offers.filter((o) => o.outcome === 'not acknowledged') ?? [];
    expect(passed.length).toBeGreaterThanOrEqual(1);
    // Nobody was set away: those passed over stayed available at the back of the line (and may
    // have been offered the call again: they did not pass it, the server was late).
    const states = await statesOf();
    expect(states.filter((s) => s.status === 'away')).toEqual([]);
    const holder = call?.agentId?.toString();
    for (const o of passed) {
      const s = (await h.models.User.findById(o.agentId, { state: 1 }).lean())?.state;
      expect(s?.status).toBe(o.agentId.toString() === holder ? 'reserved' : 'available');
    }
    expect(call?.passedBy).toEqual([]);
    await until(() => alerts.some((a) => a.kind === 'server_late'), 3000, 'server_late alert');
    const alert = alerts.find((a) => a.kind === 'server_late');
    expect(alert?.count).toBeGreaterThanOrEqual(1);
    expect(alert?.lateMs).toBeGreaterThan(250);
    // The alert is kept for a supervisor who opens the wallboard later.
    const res = await fetch(`${h.server.url}/api/supervisor/alerts`, {
      headers: { authorization: `Bearer ${await h.token('supervisor@ringside.test')}` },
    });
    expect(res.status).toBe(200);
    const listed = supervisorAlertsSchema.parse(await res.json());
    expect(listed.alerts.map((a) => a.id)).toContain(alert?.id);
    // An agent may not read them.
    const denied = await fetch(`${h.server.url}/api/supervisor/alerts`, {
      headers: { authorization: `Bearer ${await h.token('agent1@ringside.test')}` },
    });
    expect(denied.status).toBe(403);
  });
});

describe('consoles that stay silent while the server keeps time', () => {
  it('sets each silent agent away, and alerts supervisors once three have gone within a minute', async () => {
    await allAvailable();
    const { callSid } = await h.incoming('+48 500 100 201');
    // Every console is silent: the call goes round all four.
    await until(
      async () => ((await h.models.Call.findById(callSid).lean())?.offers.length ?? 0) >= 4,
      15_000,
      'four offers',
    );
    await until(async () => (await statesOf()).every((s) => s.status === 'away'), 5000, 'all away');
    for (const s of await statesOf()) expect(s.reason).toBe('missed call (not acknowledged)');
    await until(() => alerts.some((a) => a.kind === 'agents_away'), 3000, 'agents_away alert');
    const alert = alerts.find((a) => a.kind === 'agents_away');
    expect(alert?.count).toBeGreaterThanOrEqual(3);
    expect(alert?.agents?.length).toBe(alert?.count);
    expect(alerts.filter((a) => a.kind === 'server_late')).toEqual([]);
    // Raised once for the minute, however many more go away in it.
    expect(alerts.filter((a) => a.kind === 'agents_away')).toHaveLength(1);
  });
});
