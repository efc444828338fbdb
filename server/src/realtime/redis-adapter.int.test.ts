// Two server processes' worth of Socket.IO behind one Redis: a call arriving at one reaches
// the agent whose console is connected to the other, and the console's acknowledgement comes back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ScreenPop, ServerToClientEvents } from '@ringside/shared';
import { addCustomer, startCallsHarness, until, type CallsHarness } from '../testing/calls-harness';
import { startTestServer, type TestServer } from '../testing/harness';
import { startRedis } from '../testing/redis';

let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
let a: CallsHarness;
let b: TestServer;
let console_: Socket<ServerToClientEvents, ClientToServerEvents>;
const pops: ScreenPop[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url };
  await until(
    async () => {
      try {
        a = await startCallsHarness(env);
        return true;
      } catch {
        return false; // Redis still starting
      }
    },
    10_000,
    'first server with Redis',
  );
  b = await startTestServer({ db: a.server.db, env });
  await addCustomer(a.models, { name: 'Ewa Kowalczyk', phones: ['+48 602 700 800'] });

  const token = await a.token('agent3@ringside.test');
  console_ = connectSocket(b.url, { auth: { token }, transports: ['websocket'], forceNew: true });
  console_.on('screenpop', (pop, ack) => {
    pops.push(pop);
    ack(true);
  });
  await new Promise<void>((resolve) => console_.once('connect', () => resolve()));
  await new Promise<void>((resolve) => console_.emit('agent:state:set', { status: 'available' }, () => resolve()));
  await a.models.User.updateMany({ email: { $ne: 'agent3@ringside.test' } }, { $set: { 'state.status': 'offline' } });
}, 60_000);

afterAll(async () => {
  console_?.close();
  await b?.stop();
  await a?.stop();
  redis?.stop();
});

it('a call received by one server pops on a console connected to another, and the acknowledgement returns', async () => {
  const { callSid, status } = await a.incoming('602 700 800');
  expect(status).toBe(200);
  await until(() => pops.some((p) => p.callId === callSid), 5000, 'pop on the other server');
  expect(pops.find((p) => p.callId === callSid)?.customer?.name).toBe('Ewa Kowalczyk');
  await until(async () => Boolean((await a.models.Call.findById(callSid).lean())?.offerAckedAt), 5000, 'acknowledged');
});
