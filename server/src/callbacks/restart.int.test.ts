// Restart safety: the real server (as `npm start` runs it) is killed with SIGKILL while
// callbacks are due and being dialed, and started again on the same database. Every callback
// is offered, dialed exactly once and completed; none is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import {
  postTwilioWebhook,
  startTwilioRestServer,
  type RecordedRequest,
  type TwilioRestServer,
} from '@ringside/telephony/testing';
import { freePort } from '../db/embedded-db.mjs';
import { connectDatabase, type Database } from '../db/connection';
import { ensureIndexes } from '../db/models';
import { freshDatabaseUri } from '../testing/harness';
import { TWILIO, addCustomer, sleep, until } from '../testing/calls-harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';
import { nextCallable } from './calling-hours';
import { zoneCallableFor } from '../testing/calling-zones';

const CALLBACKS = 40;
const JWT_SECRET = 'restart-test-secret-restart-test-secret-0123';
let uri: string;
let db: Database;
let twilio: TwilioRestServer;
let server: { url: string; child: ChildProcess } | undefined;

/**
 * The customers' zone, and how far the server's clock is moved. Callbacks are dialed only inside
 * calling hours (Mon–Sat 08–20 in the customer's zone) and the test runs at any hour: a zone that
 * is in them now and for the next half hour is used as it is. When none is (a Sunday afternoon
 * everywhere), the server runs with its real clock moved into Warsaw's next window with Debian's
 * faketime, as a machine whose date is set would run (timers keep the real monotonic clock).
 * RESTART_TEST_MOVE_CLOCK=1 takes that path whatever the hour.
 */
function serverClock(): { zone: string; moveBySec: number } {
  const now = new Date();
  const zone = zoneCallableFor(now, 30, { fromHour: 9 });
  if (zone && !process.env.RESTART_TEST_MOVE_CLOCK) return { zone, moveBySec: 0 };
  const window = DateTime.fromJSDate(nextCallable(new Date(now.getTime() + 24 * 3_600_000), 'Europe/Warsaw')).plus({
    hours: 1,
  });
  return { zone: 'Europe/Warsaw', moveBySec: Math.ceil((window.toMillis() - now.getTime()) / 1000) };
}
const clock = serverClock();

/** Debian's libfaketime (package faketime) moving the wall clock of one process by `seconds`. */
function movedClockEnv(seconds: number): Record<string, string> {
  const lib = [
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
    '/usr/lib/faketime/libfaketimeMT.so.1',
  ].find((p) => existsSync(p));
  if (!lib) throw new Error('no calling hours anywhere now and libfaketime is missing: apt-get install faketime');
  return { LD_PRELOAD: lib, FAKETIME: `+${seconds}s`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: resolve(import.meta.dirname, '../../..'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      PORT: String(port),
      MONGODB_URI: uri,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      JWT_SECRET,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_API_BASE: twilio.url,
      PUBLIC_URL: TWILIO.publicUrl,
      CALLBACK_SILENT_DIAL_MS: '5000',
      // libfaketime in the server's own process (the faketime command would fork, and a SIGKILL
      // would miss the server).
      ...(clock.moveBySec > 0 ? movedClockEnv(clock.moveBySec) : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    'server up',
  );
  return { url, child };
}

async function login(url: string, email: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    signal: AbortSignal.timeout(5000),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  return ((await res.json()) as { token: string }).token;
}

beforeAll(async () => {
  uri = freshDatabaseUri();
  db = await connectDatabase(uri);
  await ensureIndexes(db.models);
  twilio = await startTwilioRestServer({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  await seedDemoUsers(db.models);
  const timeZone = clock.zone;
  const due = new Date(Date.now() - 1000);
  for (let i = 0; i < CALLBACKS; i++) {
    const phone = `+48 600 200 ${String(i).padStart(3, '0')}`;
    const customer = await addCustomer(db.models, { name: `Restart Customer ${i}`, phones: [phone] });
    await db.models.Customer.updateOne({ _id: customer._id }, { $set: { timeZone } });
    await db.models.Callback.create({
      customerId: customer._id,
      phone: customer.phones[0]!.e164,
      queue: 'support',
      reason: 'restart test',
      source: 'agent',
      naturalKey: `restart|${i}`,
      dueAt: due,
      personal: false,
      status: 'scheduled',
      attempts: [],
    });
  }
}, 60_000);

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await twilio.close();
  await db.conn.dropDatabase();
  await db.close();
});

it(
  'SIGKILL while callbacks are due and dialing: after a restart none is lost and none is dialed twice',
  { timeout: 180_000 },
  async () => {
    server = await startServer();
    let current = server;
    const delivered = new Set<RecordedRequest>();
    let stop = false;

    // The provider's side: each placed call is answered and ends; its status callbacks go to
    // whichever server is up (retried while none is, like Twilio's connection retries).
    const provider = (async () => {
      while (!stop) {
        for (const r of twilio.requests) {
          if (delivered.has(r) || r.method !== 'POST' || !r.path.endsWith('/Calls.json')) continue;
          if (!r.response) continue; // still being answered
          delivered.add(r);
          const callSid = String(r.response.body.sid);
          const statusUrl = new URL(String(r.params.StatusCallback));
          const path = statusUrl.pathname + statusUrl.search;
          for (const status of ['in-progress', 'completed']) {
            for (;;) {
              const res = await postTwilioWebhook({
                serverUrl: current.url,
                publicUrl: TWILIO.publicUrl,
                authToken: TWILIO.token,
                path,
                params: { CallSid: callSid, AccountSid: TWILIO.sid, CallStatus: status },
              }).catch(() => undefined);
              if (res?.status === 204) break;
              await sleep(100);
            }
          }
        }
        await sleep(20);
      }
    })();

    // Agents race for offered callbacks (two agents try each one; only one may win).
    let accepted = 0;
    let killed = false;
    const deadline = Date.now() + 100_000;
    const agents = async () => {
      // Until every callback is done (or the deadline, when the checks below say what is left).
      while (Date.now() < deadline) {
        const supervisor = await login(current.url, 'supervisor@ringside.test').catch(() => undefined);
        const tokens = await Promise.all(
          ['agent1@ringside.test', 'agent2@ringside.test'].map((e) => login(current.url, e).catch(() => undefined)),
        );
        if (!supervisor || tokens.some((t) => !t)) {
          await sleep(200);
          continue;
        }
        const list = await fetch(`${current.url}/api/callbacks?status=offered&mine=false&limit=200`, {
          headers: { authorization: `Bearer ${supervisor}` },
          signal: AbortSignal.timeout(5000),
        })
          .then((r) => r.json() as Promise<{ callbacks: Array<{ id: string }> }>)
          .catch(() => ({ callbacks: [] }));
        for (const cb of list.callbacks) {
          const results = await Promise.all(
            tokens.map((t) =>
              fetch(`${current.url}/api/callbacks/${cb.id}/accept`, {
                method: 'POST',
                headers: { authorization: `Bearer ${t}` },
                signal: AbortSignal.timeout(5000),
              }).then(
                (r) => r.status,
                () => 0,
              ),
            ),
          );
          expect(results.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
          if (results.includes(200)) accepted += 1;
          if (!killed && accepted >= CALLBACKS / 3) {
            // Mid-way, with callbacks offered, dialing and still scheduled: no goodbye.
            killed = true;
            current.child.kill('SIGKILL');
            await new Promise((r) => current.child.once('exit', r));
            server = current = await startServer();
            break;
          }
        }
        const left = await db.models.Callback.countDocuments({ status: { $ne: 'completed' } });
        if (left === 0) return;
        await sleep(100);
      }
    };
    await agents();
    stop = true;
    await provider;

    expect(killed).toBe(true);
    const all = await db.models.Callback.find({}).lean();
    expect(all).toHaveLength(CALLBACKS);
    expect(
      all
        .filter((c) => c.status !== 'completed')
        .map((c) => ({
          status: c.status,
          attempts: c.attempts.map((a) => a.outcome),
          providerCallId: c.providerCallId,
        })),
    ).toEqual([]);
    // Each customer was dialed exactly once.
    const dials = twilio.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/Calls.json'))
      .map((r) => String(r.params.To));
    expect(dials).toHaveLength(CALLBACKS);
    expect(new Set(dials).size).toBe(CALLBACKS);
    expect(new Set(dials)).toEqual(new Set(all.map((c) => c.phone)));
  },
);
