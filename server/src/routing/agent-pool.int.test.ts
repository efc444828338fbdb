import { Types } from 'mongoose';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { freshDatabase } from '../testing/harness';
import { systemClock } from '../clock';
import { Server } from 'socket.io';
import { Routing } from './routing.service';
import { AgentStates } from './agent-state';
import { Realtime, type RingsideServer } from '../realtime/gateway';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let routing: Routing;
let states: AgentStates;
const io: RingsideServer = new Server();

/** A router as one process has it; a long refresh interval: the test decides when its view is stale. */
function router(): { routing: Routing; states: AgentStates } {
  const own = new AgentStates({
    models: db.models,
    clock: systemClock,
    realtime: new Realtime(io),
    changed: () => undefined,
    poolRefreshMs: 3_600_000,
  });
  return { routing: new Routing(own), states: own };
}
const ids: Types.ObjectId[] = [];
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

beforeAll(async () => {
  db = await freshDatabase();
  ({ routing, states } = router());
  const docs = await db.models.User.insertMany(
    [1, 2, 3, 4].map((n) => ({
      email: `pool${n}@ringside.test`,
      name: `Pool ${n}`,
      passwordHash: 'x',
      roles: ['agent'],
      skills: n === 4 ? ['sales'] : ['support'],
      state: { status: 'available', since: new Date() },
      console: { connected: true, token: 'pool-test', since: new Date() },
      idleSince: minutesAgo(10 * n), // pool4 idle longest, but without the skill
    })),
  );
  ids.push(...docs.map((d) => d._id));
});

beforeEach(async () => {
  await db.models.User.updateMany({}, { $set: { 'state.status': 'available' }, $unset: { 'state.callId': 1 } });
  for (const id of ids) states.pool.note(id, 'available');
});

afterAll(async () => {
  states.close(); // `io` is attached to no HTTP server: there is nothing of it to close
  await db.drop();
  await db.close();
});

const call = (skill = 'support', passedBy: Types.ObjectId[] = []) => ({
  _id: `CA${new Types.ObjectId().toString()}`,
  skill,
  passedBy,
});

it('reserves the longest-idle agent with the skill, then the next, and nobody twice', async () => {
  const first = await routing.reserve(call());
  const second = await routing.reserve(call());
  const third = await routing.reserve(call());
  expect([first, second, third].map((r) => r?.agent.name)).toEqual(['Pool 3', 'Pool 2', 'Pool 1']);
  expect(first?.reason).toBe('longest idle with skill support');
  expect(await routing.reserve(call())).toBeNull();
  expect(await routing.reserve(call('sales'))).toMatchObject({ agent: { name: 'Pool 4' } });
});

it('stays atomic when another process changed an agent behind this one', async () => {
  // Another process takes Pool 3 away; this process still believes it free.
  await db.models.User.updateOne({ _id: ids[2] }, { $set: { 'state.status': 'away' } });
  const r = await routing.reserve(call());
  expect(r?.agent.name).toBe('Pool 2');
  const pool3 = await db.models.User.findById(ids[2]).lean();
  expect(pool3?.state.status).toBe('away');
});

it('finds an agent another process made free, before its own view refreshes', async () => {
  for (let i = 0; i < 3; i++) expect(await routing.reserve(call('support', []))).not.toBeNull();
  expect(await routing.reserve(call())).toBeNull();
  // Another process frees Pool 1; this process has not heard of it.
  await db.models.User.updateOne(
    { _id: ids[0] },
    { $set: { 'state.status': 'available' }, $unset: { 'state.callId': 1 } },
  );
  expect(await routing.reserve(call())).toMatchObject({ agent: { name: 'Pool 1' } });
});

it('never double-books under 30 concurrent reservations from two processes', async () => {
  const other = router();
  try {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? routing : other.routing).reserve(call())),
    );
    const won = results.filter((r) => r !== null).map((r) => r.agent._id.toString());
    expect(won).toHaveLength(3);
    expect(new Set(won).size).toBe(3);
  } finally {
    other.states.close();
  }
});

it('skips agents the call already passed by', async () => {
  const r = await routing.reserve(call('support', [ids[2]!, ids[1]!]));
  expect(r?.agent.name).toBe('Pool 1');
});
