import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { startTwilioRestServer, type TwilioRestServer } from '@ringside/telephony/testing';
import { connectDatabase, type Database } from '../db/connection';
import { ensureIndexes } from '../db/models';
import { freshDatabaseUri } from '../testing/harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';
import { nameKeys } from '@ringside/shared';

// The real server in a child process, killed with SIGKILL in the middle of a scan, then started
// again: every due step (reminder, letter, call) must happen exactly once.
const root = new URL('../../../', import.meta.url).pathname;
const TWILIO = { accountSid: `AC${'c'.repeat(32)}`, authToken: 'crash-test-auth-token' };
const DAY = 86_400_000;
const GROUP = 80;

let db: Database;
let uri: string;
let twilio: TwilioRestServer;
const children: ChildProcess[] = [];

/**
 * The test and the server it starts share one machine clock: when that clock is moved with
 * libfaketime (`npm run test:clock -- --all`), the server gets the same move.
 */
const machineClock = Object.fromEntries(
  Object.entries(process.env).filter(
    (e): e is [string, string] => e[1] !== undefined && (e[0] === 'LD_PRELOAD' || e[0].startsWith('FAKETIME')),
  ),
);

function startMain(): { child: ChildProcess; url: Promise<string> } {
  // One process for the web and the jobs: the one killed is the one scanning.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--role', 'all'], {
    cwd: root,
    env: {
      ...machineClock,
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      MONGODB_URI: uri,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_API_BASE: twilio.url,
      DUNNING_STEP_LEASE_MS: '1000',
    },
  });
  children.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/localhost:\d+)".*Ringside is up/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${String(code)}) before it was up`)));
  });
  return { child, url };
}

async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@ringside.test', password: DEMO_PASSWORD }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** A UTC offset zone where it is now between 09:00 and 18:00 on a Monday to Saturday. */
function callableZone(now: Date): string {
  for (let offset = -12; offset <= 14; offset++) {
    const local = new Date(now.getTime() + offset * 3_600_000);
    if (local.getUTCHours() >= 9 && local.getUTCHours() < 18 && local.getUTCDay() !== 0)
      return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  }
  throw new Error('no callable zone');
}

const phoneOf = (group: number, i: number) => `+4860${group}${String(i).padStart(6, '0')}`;

beforeAll(async () => {
  uri = freshDatabaseUri();
  db = await connectDatabase(uri);
  await ensureIndexes(db.models);
  await seedDemoUsers(db.models);
  twilio = await startTwilioRestServer(TWILIO);
  const now = new Date();
  const zone = callableZone(now);
  // Three groups: a reminder due (new case), a letter due (reminded 12 days ago), a call due
  // (letter 8 days ago).
  for (const [group, overdueDays, stepsDone, stage, lastStepDaysAgo] of [
    [1, 5, [], 'none', 0],
    [2, 20, ['sms'], 'sms', 12],
    [3, 30, ['sms', 'letter'], 'letter', 8],
  ] as const) {
    const customers = Array.from({ length: GROUP }, (_, i) => ({
      _id: new Types.ObjectId(),
      kind: 'person' as const,
      name: `Crash ${group}-${i}`,
      nameKeys: nameKeys(`Crash ${group}-${i}`),
      phones: [{ raw: phoneOf(group, i), e164: phoneOf(group, i), type: 'mobile' as const }],
      phoneKeys: [phoneOf(group, i)],
      contacts: [],
      labels: [],
      timeZone: zone,
      country: 'PL',
      creditTerms: { limit: 0, paymentTermsDays: 14, currency: 'PLN' },
      flags: { doNotCall: false, smsConsent: true, doNotSms: false },
    }));
    await db.models.Customer.insertMany(customers);
    const invoices = customers.map((c, i) => ({
      customerId: c._id,
      number: `INV-C${group}-${i}`,
      currency: 'PLN',
      amount: 100 + i,
      paid: 0,
      issuedAt: new Date(now.getTime() - (overdueDays + 14) * DAY),
      dueAt: new Date(now.getTime() - overdueDays * DAY),
      status: 'open' as const,
      paymentReference: `RF-C${group}-${i}`,
    }));
    const inserted = await db.models.Invoice.insertMany(invoices);
    if (group === 1) continue;
    await db.models.DunningCase.insertMany(
      customers.map((c, i) => ({
        customerId: c._id,
        currency: 'PLN',
        caseKey: `${c._id.toHexString()}|PLN|1`,
        status: 'open',
        stage,
        invoiceIds: [inserted[i]?._id],
        amount: 100 + i,
        oldestDueAt: new Date(now.getTime() - overdueDays * DAY),
        history: [{ at: new Date(now.getTime() - lastStepDaysAgo * DAY), action: stage, stage }],
        stepsDone: [...stepsDone],
        callAttempts: [],
        messages: [],
        callRounds: 0,
        openedAt: new Date(now.getTime() - (overdueDays - 3) * DAY),
        lastStepAt: new Date(now.getTime() - lastStepDaysAgo * DAY),
        nextActionAt: new Date(now.getTime() - 60_000),
      })),
    );
  }
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await twilio?.close();
  await db?.conn.dropDatabase();
  await db?.close();
});

it(
  'SIGKILL during a scan, then a restart: every due reminder, letter and call exactly once',
  { timeout: 120_000 },
  async () => {
    const first = startMain();
    const url = await first.url;
    const token = await adminToken(url);
    // Killed once part of the reminders have gone out (others are in flight, none recorded yet).
    const killed = new Promise<void>((resolve) => {
      let seen = 0;
      const onRequest = (r: { path: string; method: string }) => {
        if (!r.path.endsWith('/Messages.json') || r.method !== 'POST') return;
        if (++seen === 30) {
          first.child.kill('SIGKILL');
          twilio.events.off('request', onRequest);
          resolve();
        }
      };
      twilio.events.on('request', onRequest);
    });
    const run = fetch(`${url}/api/dunning/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => null);
    await killed;
    await run;
    // The process may have gone already (while the request above failed).
    if (first.child.exitCode === null && first.child.signalCode === null)
      await new Promise((r) => first.child.once('exit', r));
    const sentBeforeKill = twilio.requests.filter(
      (r) => r.path.endsWith('/Messages.json') && r.method === 'POST',
    ).length;
    expect(sentBeforeKill).toBeGreaterThanOrEqual(30);
    expect(sentBeforeKill).toBeLessThan(GROUP);
    expect(await db.models.DunningCase.countDocuments({ 'pending.key': { $exists: true } })).toBeGreaterThan(0);

    // Restarted: the claims of the killed process are reconciled once their lease has run out.
    await new Promise((r) => setTimeout(r, 1200));
    const second = startMain();
    const url2 = await second.url;
    const token2 = await adminToken(url2);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url2}/api/dunning/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token2}` },
      });
      expect(res.status, await res.text()).toBe(200);
    }
    second.child.kill('SIGTERM');

    const sms = twilio.requests.filter((r) => r.path.endsWith('/Messages.json') && r.method === 'POST');
    for (let i = 0; i < GROUP; i++)
      expect(
        sms.filter((r) => r.params.To === phoneOf(1, i)),
        phoneOf(1, i),
      ).toHaveLength(1);
    expect(sms).toHaveLength(GROUP);
    expect(await db.models.DunningCase.countDocuments({ 'pending.key': { $exists: true } })).toBe(0);
    const cases = await db.models.DunningCase.find({}, { stage: 1, stepsDone: 1, messages: 1, customerId: 1 }).lean();
    expect(cases).toHaveLength(3 * GROUP);
    expect(cases.filter((c) => c.stage === 'sms' && c.messages.length === 1)).toHaveLength(GROUP);
    expect(cases.filter((c) => c.stage === 'letter')).toHaveLength(GROUP);
    expect(cases.filter((c) => c.stage === 'call')).toHaveLength(GROUP);
    expect(await db.conn.collection('dunningdocuments').countDocuments({ kind: 'letter' })).toBe(GROUP);
    const callbacks = await db.models.Callback.find({ source: 'dunning' }, { dunningCaseId: 1 }).lean();
    expect(callbacks).toHaveLength(GROUP);
    expect(new Set(callbacks.map((c) => c.dunningCaseId?.toHexString())).size).toBe(GROUP);
  },
);
