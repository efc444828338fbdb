// Reconciliation with the provider: calls whose hang-up never arrived (the webhook or ARI event was
// lost while the server was down or slow) are ended once the provider says so, through the hang-up
// path; calls the provider still has, or cannot answer for, are left alone. Real database, real
// HTTP and sockets, the local Twilio REST stand-in and the local ARI server; the clock is moved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsteriskProvider } from '@ringside/telephony';
import { startAriServer } from '@ringside/telephony/testing';
import type { CallEnded } from '@ringside/shared';
import { ManualClock } from '../clock';
import { connectDatabase } from '../db/connection';
import { ensureIndexes } from '../db/models';
import type { Models } from '../db/models';
import { freshDatabaseUri } from '../testing/harness';
import { sleep, startCallsHarness, until, type CallsHarness, type TestAgent } from '../testing/calls-harness';
import type { CallReconciler } from './reconcile';

const QUIET_MS = 120_000;
/** The app's own reconciler stays off: these tests run the passes. */
const ENV = { CALL_RECONCILE_EVERY_MS: '0' };

let clock: ManualClock;
let h: CallsHarness;
let agent: TestAgent;
let reconciler: CallReconciler;
const heard: CallEnded[] = [];

beforeAll(async () => {
  clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000)); // whole seconds, as Twilio's times
  h = await startCallsHarness(ENV, { clock });
  agent = await h.agent('agent1@ringside.test');
  agent.socket.on('call:ended', (e) => heard.push(e));
  reconciler = h.server.app.calls.reconciler({ everyMs: 60_000, quietMs: QUIET_MS });
});

afterAll(async () => {
  await h.stop();
});

const call = (models: Models, callId: string) => models.Call.findById(callId).lean();
const entry = (models: Models, callId: string) => models.Interaction.findOne({ callId }).lean();
const agentState = async (models: Models, id: string) => (await models.User.findById(id).lean())?.state;
async function abandoned(models: Models, queue: string): Promise<number> {
  const days = await models.QueueDayStats.find({ queue }).lean();
  return days.reduce((n, d) => n + (d.abandoned ?? 0), 0);
}
const asked = (callSid: string) =>
  h.twilio.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/Calls/${callSid}.json`)).length;
const endsHeard = (callId: string) => heard.filter((e) => e.callId === callId).length;

describe('reconciling Twilio calls', () => {
  let talking: string;

  it('ends a queued call Twilio reports completed; the queue then serves the caller who is still there', async () => {
    const gone = (await h.incoming('+48 601 000 001')).callSid;
    clock.advance(1000);
    talking = (await h.incoming('+48 601 000 002')).callSid;
    const queued = await call(h.models, gone);
    expect(queued).toMatchObject({ state: 'queued' });
    expect(await call(h.models, talking)).toMatchObject({ state: 'queued' });
    const queue = queued?.queue ?? '';
    const abandonedBefore = await abandoned(h.models, queue);

    // The caller hung up 20 s later; Twilio's status callback never reached us.
    const hungUpAt = new Date(clock.now().getTime() + 20_000);
    h.twilio.setCallStatus(gone, 'completed', hungUpAt);
    clock.advance(QUIET_MS + 60_000);
    const report = await reconciler.pass();
    expect(report).toEqual({ asked: 2, live: 1, ended: 1, unknown: 0 });
    expect([asked(gone), asked(talking)]).toEqual([1, 1]);

    expect(await call(h.models, gone)).toMatchObject({
      state: 'abandoned',
      endReason: 'lost hang-up: completed',
      endedAt: hungUpAt,
    });
    expect((await entry(h.models, gone))?.summary).toBe(
      'Missed inbound call (lost hang-up: completed) after 21s waiting',
    );
    expect(await abandoned(h.models, queue)).toBe(abandonedBefore + 1);
    // The caller who is still there is left alone, and not asked about again for a while.
    expect(await call(h.models, talking)).toMatchObject({ state: 'queued', providerSeenAt: clock.now() });
    expect(await reconciler.pass()).toEqual({ asked: 0, live: 0, ended: 0, unknown: 0 });

    // An agent who comes free is offered the caller who is there, never the one who is gone.
    expect((await agent.setState('available')).ok).toBe(true);
    await until(() => agent.offers.includes(talking), 3000, 'offer of the waiting caller');
    expect(agent.offers).not.toContain(gone);
    expect(endsHeard(gone)).toBe(0);
  });

  it('frees the agent of a connected call whose hang-up was lost into wrap-up, as the hang-up does', async () => {
    expect(await agent.emit('call:accept', { callId: talking })).toEqual({ ok: true });
    expect(await call(h.models, talking)).toMatchObject({ state: 'connected' });
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'on_call', callId: talking });
    const connectedAt = clock.now();

    // The talk ends 45 s in; the hang-up is lost.
    h.twilio.setCallStatus(talking, 'completed', new Date(connectedAt.getTime() + 45_000));
    clock.advance(QUIET_MS + 10_000);
    expect(await reconciler.pass()).toMatchObject({ ended: 1, unknown: 0 });
    expect(await call(h.models, talking)).toMatchObject({ state: 'wrap_up', endReason: 'lost hang-up: completed' });
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'wrap_up', callId: talking });
    await until(() => endsHeard(talking) === 1, 3000, 'call:ended at the console');
    expect(heard.find((e) => e.callId === talking)).toMatchObject({ kind: 'hangup', wrapUp: true });
    expect(await entry(h.models, talking)).toMatchObject({ durationSec: 45, summary: 'Inbound call, 45s' });

    // The lost status callback turns up after all: nothing changes.
    const before = await call(h.models, talking);
    expect(await h.status(talking, 'completed', { CallDuration: '45' })).toBe(204);
    await sleep(150);
    expect(await call(h.models, talking)).toEqual(before);
    expect(endsHeard(talking)).toBe(1);
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'wrap_up' });
    expect(await entry(h.models, talking)).toMatchObject({ durationSec: 45, summary: 'Inbound call, 45s' });

    expect(await agent.emit('call:wrapup', { callId: talking, disposition: 'resolved' })).toEqual({ ok: true });
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'available' });
  });

  it('ends a call once when the hang-up arrives during reconciliation and two processes reconcile at once', async () => {
    const callSid = (await h.incoming('+48 601 000 003')).callSid;
    await until(() => agent.offers.includes(callSid), 3000, 'offer');
    const queue = (await call(h.models, callSid))?.queue ?? '';
    const abandonedBefore = await abandoned(h.models, queue);
    h.twilio.setCallStatus(callSid, 'canceled');
    clock.advance(QUIET_MS + 1000);
    const other = h.server.app.calls.reconciler({ everyMs: 60_000, quietMs: QUIET_MS }); // as another process's
    h.twilio.latency(40); // Twilio's answers come while the webhook is being handled
    try {
      const [mine, theirs, webhook] = await Promise.all([
        reconciler.pass(),
        other.pass(),
        sleep(20).then(() => h.status(callSid, 'canceled')),
      ]);
      expect(webhook).toBe(204);
      expect(mine.ended + theirs.ended).toBeLessThanOrEqual(1);
    } finally {
      h.twilio.latency(0);
    }
    expect(await call(h.models, callSid)).toMatchObject({ state: 'abandoned' });
    expect(await abandoned(h.models, queue)).toBe(abandonedBefore + 1);
    await until(() => endsHeard(callSid) === 1, 3000, 'call:ended');
    await sleep(150);
    expect(endsHeard(callSid)).toBe(1);
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'available' });
  });

  it('ends nothing while Twilio refuses or cannot be reached: not knowing is not gone', async () => {
    const callSid = (await h.incoming('+48 601 000 004')).callSid;
    await until(() => agent.offers.includes(callSid), 3000, 'offer');
    h.twilio.setCallStatus(callSid, 'completed');
    clock.advance(QUIET_MS + 1000);
    try {
      h.twilio.outage({ status: 503 });
      expect(await reconciler.pass()).toEqual({ asked: 0, live: 0, ended: 0, unknown: 1 });
      h.twilio.outage('unreachable');
      expect(await reconciler.pass()).toEqual({ asked: 0, live: 0, ended: 0, unknown: 1 });
    } finally {
      h.twilio.outage(null);
    }
    expect(await call(h.models, callSid)).toMatchObject({ state: 'offered' });
    expect(endsHeard(callSid)).toBe(0);
    // Twilio is back: the call it still has is left alone, and the agent keeps the offer.
    h.twilio.setCallStatus(callSid, 'ringing');
    expect(await reconciler.pass()).toEqual({ asked: 1, live: 1, ended: 0, unknown: 0 });
    expect(await call(h.models, callSid)).toMatchObject({ state: 'offered' });
    expect(await h.status(callSid, 'completed')).toBe(204);
    await until(() => endsHeard(callSid) === 1, 3000, 'call:ended');
  });

  it('finishes a call whose provider reported the end but whose ending stopped halfway, without asking', async () => {
    const callSid = (await h.incoming('+48 601 000 005')).callSid;
    await until(() => agent.offers.includes(callSid), 3000, 'offer');
    // The hang-up's first write landed (the provider status), then the process stopped.
    await h.models.Call.updateOne({ _id: callSid }, { $set: { providerRank: 3, providerStatus: 'call.ended' } });
    clock.advance(QUIET_MS + 1000);
    expect(await reconciler.pass()).toEqual({ asked: 0, live: 0, ended: 1, unknown: 0 });
    expect(asked(callSid)).toBe(0);
    expect(await call(h.models, callSid)).toMatchObject({ state: 'abandoned' });
    await until(() => endsHeard(callSid) === 1, 3000, 'call:ended');
    expect(await agentState(h.models, agent.id)).toMatchObject({ status: 'available' });
  });
});

describe('reconciling calls stored before the provider was last heard of was recorded', () => {
  it('asks about them by their age, and ends those that are gone', async () => {
    const callSid = (await h.incoming('+48 601 000 006')).callSid;
    await until(() => agent.offers.includes(callSid), 3000, 'offer');
    // As the load run left its calls: no providerSeenAt.
    await h.models.Call.updateOne({ _id: callSid }, { $unset: { providerSeenAt: 1 } });
    h.twilio.setCallStatus(callSid, 'not-found');
    clock.advance(QUIET_MS - 1000);
    expect(await reconciler.pass()).toEqual({ asked: 0, live: 0, ended: 0, unknown: 0 }); // not quiet long enough
    clock.advance(2000);
    expect(await reconciler.pass()).toEqual({ asked: 1, live: 0, ended: 1, unknown: 0 });
    expect(await call(h.models, callSid)).toMatchObject({ state: 'abandoned', endReason: 'lost hang-up: not-found' });
    await until(() => endsHeard(callSid) === 1, 3000, 'call:ended');
  });
});

describe('reconciling Asterisk calls', () => {
  it('after a restart, a caller whose channel went while the server was down is ended on the first pass', async () => {
    const ARI = { username: 'ringside', password: 'ari-reconcile-password', app: 'ringside' };
    const ari = await startAriServer({ username: ARI.username, password: ARI.password, app: ARI.app });
    const uri = freshDatabaseUri();
    const dbBefore = await connectDatabase(uri);
    await ensureIndexes(dbBefore.models);
    const before = new AsteriskProvider({ url: ari.url, ...ARI, clock });
    const first = await startCallsHarness(ENV, { clock, providers: { asterisk: before }, db: dbBefore });
    await before.start();
    const gone = ari.simulateIncomingCall({ callerNumber: '+48601000021' });
    clock.advance(1000);
    const waiting = ari.simulateIncomingCall({ callerNumber: '+48601000022' });
    await until(
      async () => (await first.models.Call.countDocuments({ _id: { $in: [gone, waiting] }, state: 'queued' })) === 2,
      3000,
      'both calls queued',
    );

    // The server goes down; meanwhile one caller hangs up, and nobody hears it.
    await before.close();
    await first.stop();
    await until(() => !ari.connected(ARI.app), 3000, 'events WebSocket closed');
    ari.hangup(gone);
    expect(ari.sentEvents.filter((s) => s.event.type === 'ChannelDestroyed').map((s) => s.delivered)).toEqual([false]);

    // It comes back (another process, a memory of nothing) minutes later.
    clock.advance(QUIET_MS + 60_000);
    const dbAfter = Object.assign(await connectDatabase(uri), {
      async drop() {
        await dbAfter.conn.dropDatabase();
        await dbAfter.close();
      },
    });
    const after = new AsteriskProvider({ url: ari.url, ...ARI, clock });
    const second = await startCallsHarness(ENV, { clock, providers: { asterisk: after }, db: dbAfter });
    try {
      await after.start();
      second.server.app.calls.reconciler({ everyMs: 60_000, quietMs: QUIET_MS }).start(); // stopped by close
      await until(async () => (await call(second.models, gone))?.state === 'abandoned', 5000, 'first pass');
      expect(await call(second.models, gone)).toMatchObject({ endReason: 'lost hang-up: channel-gone' });
      expect((await entry(second.models, gone))?.summary).toMatch(
        /^Missed inbound call \(lost hang-up: channel-gone\)/,
      );
      expect(await call(second.models, waiting)).toMatchObject({ providerSeenAt: clock.now() });
      expect(['queued', 'routing']).toContain((await call(second.models, waiting))?.state); // the queue was served
      expect(ari.commands.some((c) => c.operation === 'channels.list')).toBe(true);

      const agentAfter = await second.agent('agent2@ringside.test');
      expect((await agentAfter.setState('available')).ok).toBe(true);
      await until(() => agentAfter.offers.includes(waiting), 3000, 'offer of the waiting caller');
      expect(agentAfter.offers).not.toContain(gone);
    } finally {
      await after.close();
      await second.stop();
      await ari.close();
    }
  });
});
