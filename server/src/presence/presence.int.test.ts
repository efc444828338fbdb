// Presence: only an agent whose console is connected is offered calls. A console that goes is
// out of routing at once; its agent's state outlives it for the grace, then turns offline
// ("console disconnected"); a restarted server offers nothing before consoles connect; two
// server processes on one Redis agree on who is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import {
  TWILIO,
  addCustomer,
  startCallsHarness,
  until,
  type CallsHarness,
  type TestAgent,
} from '../testing/calls-harness';
import { freshDatabase, startTestServer, type TestServer } from '../testing/harness';
import { startRedis } from '../testing/redis';
import { seedDemoUsers } from '../seed/seed';
import { CONSOLE_DISCONNECTED } from '@ringside/shared';

const GRACE_MS = 2000;
// Time as presence sees it is moved by hand: the grace passes when the test says so.
const clock = new ManualClock(new Date());
const ENV = { CONSOLE_GRACE_MS: String(GRACE_MS), OFFER_ACK_TIMEOUT_MS: '3000', OFFER_ACCEPT_TIMEOUT_MS: '30000' };

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
let a: CallsHarness;
let b: TestServer | undefined;
let supervisorToken = '';
let phone = 0;

beforeAll(async () => {
  redis = await startRedis();
  const env = { ...ENV, REDIS_URL: redis.url };
  await until(
    async () => {
      try {
        a = await startCallsHarness(env, { clock });
        return true;
      } catch {
        return false; // Redis still starting
      }
    },
    10_000,
    'first server with Redis',
  );
  // The second server speaks to the same Twilio stand-in (a console on it accepts calls too).
  b = await startTestServer({
    db: a.server.db,
    env: {
      ...env,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_API_BASE: a.twilio.url,
      PUBLIC_URL: TWILIO.publicUrl,
    },
    clock,
  });
  // agent1 and agent2 answer support calls; the others do not.
  await a.models.User.updateMany(
    { email: { $nin: ['agent1@ringside.test', 'agent2@ringside.test'] } },
    { $set: { skills: ['sales'] } },
  );
  await a.models.User.updateMany(
    { email: { $in: ['agent1@ringside.test', 'agent2@ringside.test'] } },
    { $set: { skills: ['support'] } },
  );
  supervisorToken = await a.token('supervisor@ringside.test');
}, 60_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  redis?.stop();
});

/** A new caller each time, so that no remembered choice or owner steers the call. */
async function newCaller(): Promise<string> {
  phone += 1;
  const number = `+48 605 100 ${String(100 + phone)}`;
  await addCustomer(a.models, { name: `Caller ${phone}`, phones: [number] });
  return number;
}

const presenceOf = async (agent: TestAgent) =>
  (await a.models.User.findById(agent.id, { console: 1, state: 1 }).lean()) ?? undefined;
const connectedIs = (agent: TestAgent, connected: boolean) =>
  until(
    async () => (await presenceOf(agent))?.console?.connected === connected,
    8000,
    `${agent.email} console ${connected ? 'connected' : 'gone'}`,
  );

async function finish(agent: TestAgent, callSid: string): Promise<void> {
  expect(await agent.emit('call:accept', { callId: callSid })).toEqual({ ok: true });
  expect(await a.status(callSid, 'completed', { CallDuration: '5' })).toBe(204);
  await until(() => agent.ended.includes(callSid), 3000, 'call:ended');
  expect(await agent.emit('call:wrapup', { callId: callSid, disposition: 'resolved' })).toEqual({ ok: true });
}

async function stats(): Promise<{ agents: Array<{ agentId: string; status: string; connected: boolean }> }> {
  const res = await fetch(`${a.server.url}/api/supervisor/stats`, {
    headers: { authorization: `Bearer ${supervisorToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { agents: Array<{ agentId: string; status: string; connected: boolean }> };
}

describe('presence on one server', () => {
  let agent1: TestAgent;
  let agent2: TestAgent;
  afterAll(async () => {
    agent1.close();
    agent2.close();
    await connectedIs(agent1, false);
    await connectedIs(agent2, false);
  });

  it('does not offer a call to an agent whose console closed: it goes straight to a connected agent', async () => {
    agent1 = await a.agent('agent1@ringside.test');
    expect((await agent1.setState('available')).ok).toBe(true);
    clock.advance(1000);
    agent2 = await a.agent('agent2@ringside.test');
    expect((await agent2.setState('available')).ok).toBe(true);
    // agent1 has been idle longest and would be first; their console closes.
    agent1.close();
    await connectedIs(agent1, false);
    const caller = await newCaller();
    const { callSid } = await a.incoming(caller);
    await until(() => agent2.pops.some((p) => p.callId === callSid), 3000, 'pop at agent2');
    const call = await a.models.Call.findById(callSid).lean();
    // One offer, to the connected agent: nobody waited for a console that was gone.
    expect(call?.offers.map((o) => o.agentId.toString())).toEqual([agent2.id]);
    expect(agent1.pops.some((p) => p.callId === callSid)).toBe(false);
    // Within the grace the agent keeps their state; the wallboard shows the console gone.
    expect((await presenceOf(agent1))?.state.status).toBe('available');
    expect((await stats()).agents.find((x) => x.agentId === agent1.id)).toMatchObject({
      status: 'available',
      connected: false,
    });
    await finish(agent2, callSid);
  });

  it('gives the state back to a console that returns within the grace, and calls come again', async () => {
    agent1 = await a.agent('agent1@ringside.test');
    await connectedIs(agent1, true);
    expect((await presenceOf(agent1))?.state.status).toBe('available');
    // agent2 just wrapped up, so agent1 is the longest idle again.
    const { callSid } = await a.incoming(await newCaller());
    await until(() => agent1.pops.some((p) => p.callId === callSid), 3000, 'pop at agent1');
    await finish(agent1, callSid);
  });

  it('moves an offer on when the console holding it closes, without waiting for the accept timeout', async () => {
    expect((await agent2.setState('away')).ok).toBe(true);
    const { callSid } = await a.incoming(await newCaller());
    await until(() => agent1.pops.some((p) => p.callId === callSid), 3000, 'pop at agent1');
    await until(
      async () => Boolean((await a.models.Call.findById(callSid).lean())?.offerAckedAt),
      3000,
      'acknowledged',
    );
    agent1.close();
    await connectedIs(agent1, false);
    expect((await agent2.setState('available')).ok).toBe(true);
    // The accept timeout is 30 s; the offer moves within the acknowledgement time instead.
    await until(() => agent2.pops.some((p) => p.callId === callSid), 8000, 'pop at agent2');
    const call = await a.models.Call.findById(callSid).lean();
    expect(call?.offers.map((o) => [o.agentId.toString(), o.outcome ?? null])).toEqual([
      [agent1.id, CONSOLE_DISCONNECTED],
      [agent2.id, null],
    ]);
    await finish(agent2, callSid);
  });

  it('sends the agent offline after the grace; a console that comes back later chooses again', async () => {
    await connectedIs(agent1, false);
    clock.advance(GRACE_MS + 1000);
    await until(async () => (await presenceOf(agent1))?.state.status === 'offline', 8000, 'agent1 offline');
    expect((await presenceOf(agent1))?.state.reason).toBe(CONSOLE_DISCONNECTED);
    expect((await stats()).agents.find((x) => x.agentId === agent1.id)).toMatchObject({
      status: 'offline',
      connected: false,
    });
    agent1 = await a.agent('agent1@ringside.test');
    await connectedIs(agent1, true);
    expect((await presenceOf(agent1))?.state).toMatchObject({ status: 'offline', reason: CONSOLE_DISCONNECTED });
    const { callSid } = await a.incoming(await newCaller());
    await until(() => agent2.pops.some((p) => p.callId === callSid), 3000, 'pop at agent2');
    expect(agent1.pops.some((p) => p.callId === callSid)).toBe(false);
    await finish(agent2, callSid);
    // A console that is back late keeps the old state only when its agent chooses it.
    expect((await agent1.setState('available')).ok).toBe(true);
  });
});

describe('presence across two server processes on one Redis', () => {
  it('keeps an agent with a console on the other server, and moves on when that server is gone', async () => {
    const server = b;
    if (!server) throw new Error('no second server');
    const agent1 = await a.agent('agent1@ringside.test');
    expect((await agent1.setState('away')).ok).toBe(true);
    const agent2 = await a.agent('agent2@ringside.test');
    const agent2Elsewhere = await a.agent('agent2@ringside.test', { url: server.url });
    expect((await agent2.setState('available')).ok).toBe(true);
    // Closing the tab on this server leaves the console on the other one: still there.
    agent2.close();
    await new Promise((r) => setTimeout(r, GRACE_MS / 2)); // a few presence sweeps on both servers
    expect((await a.models.User.findById(agent2.id, { console: 1 }).lean())?.console?.connected).toBe(true);
    const first = await a.incoming(await newCaller());
    await until(() => agent2Elsewhere.pops.some((p) => p.callId === first.callSid), 3000, 'pop on the other server');
    await finish(agent2Elsewhere, first.callSid);
    // The other server goes without a word (as if killed): this one's sweep finds the console gone.
    server.app.presence.close();
    await server.stop();
    b = undefined;
    await until(
      async () => (await a.models.User.findById(agent2.id, { console: 1 }).lean())?.console?.connected === false,
      8000,
      'console on the stopped server gone',
    );
    expect((await agent1.setState('available')).ok).toBe(true);
    const second = await a.incoming(await newCaller());
    await until(() => agent1.pops.some((p) => p.callId === second.callSid), 3000, 'pop at agent1');
    expect((await a.models.Call.findById(second.callSid).lean())?.offers.map((o) => o.agentId.toString())).toEqual([
      agent1.id,
    ]);
    await finish(agent1, second.callSid);
  });
});

describe('a server restarted with agents available in the database', () => {
  it('offers nothing to them until their consoles connect, then gives them their state back', async () => {
    const db = await freshDatabase();
    try {
      await seedDemoUsers(db.models);
      await db.models.User.updateMany({}, { $set: { skills: ['support'] } });
      // As the previous process left it: agent1 available with a console it believed connected.
      const agent1Doc = await db.models.User.findOneAndUpdate(
        { email: 'agent1@ringside.test' },
        {
          $set: {
            'state.status': 'available',
            'state.since': clock.now(),
            idleSince: clock.now(),
            console: { connected: true, token: 'from-the-previous-process', since: clock.now() },
          },
        },
        { returnDocument: 'after' },
      ).lean();
      await db.models.User.updateMany(
        { email: { $ne: 'agent1@ringside.test' } },
        { $set: { 'state.status': 'offline' } },
      );
      const restarted = await startCallsHarness(ENV, { clock, db });
      try {
        expect((await db.models.User.findById(agent1Doc?._id, { console: 1 }).lean())?.console?.connected).toBe(false);
        await addCustomer(db.models, { name: 'Restart Caller', phones: ['+48 605 900 900'] });
        const { callSid } = await restarted.incoming('+48 605 900 900');
        await new Promise((r) => setTimeout(r, 500));
        expect(await db.models.Call.findById(callSid, { state: 1, offers: 1 }).lean()).toMatchObject({
          state: 'queued',
          offers: [],
        });
        // The console reconnects within the grace: available again, and the waiting call comes.
        const agent1 = await restarted.agent('agent1@ringside.test');
        await until(() => agent1.pops.some((p) => p.callId === callSid), 5000, 'pop after the console connected');
        expect((await db.models.User.findById(agent1.id, { state: 1 }).lean())?.state.status).toBe('reserved');
      } finally {
        await restarted.stop();
      }
    } finally {
      await db.drop().catch(() => undefined);
    }
  });
});
