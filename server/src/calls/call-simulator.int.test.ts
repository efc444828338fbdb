import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addCustomer,
  startCallsHarness,
  TWILIO,
  until,
  type CallsHarness,
  type TestAgent,
} from '../testing/calls-harness';

const root = new URL('../../../', import.meta.url).pathname;
let h: CallsHarness;
let agent: TestAgent;

beforeAll(async () => {
  h = await startCallsHarness();
  agent = await h.agent('agent3@ringside.test');
  await addCustomer(h.models, { name: 'Ivana Horvat', phones: ['091 234 5678'], country: 'HR' });
  expect((await agent.setState('available')).ok).toBe(true);
});
afterAll(async () => {
  await h.stop();
});

it('npm run call shows a pop on a connected agent', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/call.ts', '--from', '+385 91 234 5678', '--url', h.server.url, '--duration', '1'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TWILIO_ACCOUNT_SID: TWILIO.sid,
        TWILIO_AUTH_TOKEN: TWILIO.token,
        PUBLIC_URL: TWILIO.publicUrl,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, out).toBe(0);
  expect(out).toMatch(/voice webhook → 200/);
  expect(out).toMatch(/completed after \d+s → 204/);
  await until(() => agent.pops.length === 1, 3000, 'pop');
  expect(agent.pops[0]).toMatchObject({
    match: 'unique',
    customer: { name: 'Ivana Horvat' },
    caller: { e164: '+385912345678' },
  });
  await until(() => agent.ended.length === 1, 3000, 'the simulated caller hung up');
  expect(await h.models.Call.findById(agent.pops[0]!.callId, { state: 1 }).lean()).toMatchObject({
    state: 'abandoned',
  });
});
