// Paint benchmark: webhook sent → the offer card painted in a real Chromium, under load.
//   npm run bench:paint -- [--customers 1000000] [--rate 50] [--agents 499] [--calls 200]
//                          [--warmup-calls 20] [--max-seconds 900] [--data-dir DIR]
// The server runs as `npm start` runs it. One Chromium page is signed in on the desk as a dedicated
// agent (bench-paint-agent@ringside.test, no skills: it is never chosen for a queue's calls) while
// --agents Socket.IO consoles (bench-agent-N, as bench:pop's) take --rate calls/s of background load.
// The measured calls come one at a time from customers the browser agent owns for the run
// (owner-first routing offers them to it while it is available; their owners are put back at the
// end), each cancelled through the status webhook once its card is painted.
// Clocks: the send time is Node's Date.now() just before the webhook is posted; the page turns its
// marks (`ringside:screenpop` on arrival, `ringside:card-painted` after the frame) into epoch ms with
// its own Date.now() − performance.now() taken when they are read (not performance.timeOrigin, which
// drifts from the wall clock while the page stays open). Same machine, same wall clock: ±1 ms.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { z } from 'zod';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { Types } from 'mongoose';
import type { ClientToServerEvents, ServerToClientEvents } from '@ringside/shared';
import { newCallSid, postTwilioWebhook, startTwilioRestServer } from '@ringside/telephony/testing';
import { buildConsoleSync, consoleBuildState } from '@ringside/server/testing';
import { hashPassword } from '../server/src/auth/auth.service';
import type { Database } from '../server/src/db/connection';
import { BENCH_TWILIO, benchArgs, benchServerEnv, startApp } from './bench-app';
import { openBenchDatabase } from './bench-db';
import { cleanSlate } from './bench-dunning/setup';
import { fmt, summary } from './bench-pop/figures';
import { clearJobsOfEarlierRuns, holdSchedules, jobsSince, quietJobs } from './bench-pop/jobs';
import { callerNumbers, ensureAgents } from './bench-pop/setup';

const argsSchema = z.object({
  customers: z.coerce.number().int().min(1000).default(1_000_000),
  rate: z.coerce.number().min(0).max(1000).default(50),
  agents: z.coerce.number().int().min(1).max(5000).default(499),
  calls: z.coerce.number().int().min(1).max(5000).default(200),
  'warmup-calls': z.coerce.number().int().min(0).max(1000).default(20),
  /** The measured calls stop after this long, with what they have (a machine that cannot keep up). */
  'max-seconds': z.coerce.number().positive().max(7200).default(900),
  'data-dir': z.string().optional(),
});

const TWILIO = BENCH_TWILIO;
const JWT_SECRET = randomBytes(32).toString('base64url');
const BROWSER_AGENT = { email: 'bench-paint-agent@ringside.test', password: 'ringside', name: 'Bench Paint Agent' };
/** A measured call not painted by then counts as missing. */
const CALL_TIMEOUT_MS = 10_000;
const SCREENPOP_MARK = 'ringside:screenpop';
const CARD_PAINTED_MARK = 'ringside:card-painted';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Post = (path: string, params: Record<string, string>) => Promise<{ status: number; body: string }>;

/** The background: consoles that acknowledge every pop and have the caller hang up 50 ms later, and calls at `rate`. */
async function startLoad(url: string, tokens: string[], numbers: string[], rate: number, post: Post) {
  let errors = 0;
  let sent = 0;
  const cancel = (callId: string) =>
    post('/telephony/twilio/status', { CallSid: callId, AccountSid: TWILIO.sid, CallStatus: 'canceled' }).catch(
      () => (errors += 1),
    );
  const sockets = tokens.map((token) => {
    const socket: AgentSocket = connectSocket(url, { auth: { token }, transports: ['websocket'], forceNew: true });
    socket.on('screenpop', (pop, ack) => {
      ack(true);
      setTimeout(() => void cancel(pop.callId), 50);
    });
    return socket;
  });
  await Promise.all(sockets.map((s) => (s.connected ? null : new Promise((r) => s.once('connect', () => r(null))))));
  await Promise.all(sockets.map((s) => new Promise((r) => s.emit('agent:state:set', { status: 'available' }, r))));
  const started = performance.now();
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) {
      const from = numbers[(sent * 7919) % numbers.length] ?? '+48500000000';
      sent += 1;
      const params = { CallSid: newCallSid(), AccountSid: TWILIO.sid, From: from, To: '+48221002000' };
      post('/telephony/twilio/voice', { ...params, CallStatus: 'ringing', Direction: 'inbound' }).then(
        (res) => (errors += res.status === 200 ? 0 : 1),
        () => (errors += 1),
      );
    }
  }, 5);
  return {
    stop() {
      clearInterval(tick);
      for (const s of sockets) s.close();
      return { sent, rate: sent / ((performance.now() - started) / 1000), errors };
    },
  };
}

/** The browser's agent: no skills, so only the calls of the customers it owns reach it. */
async function ensureBrowserAgent(db: Database): Promise<Types.ObjectId> {
  const { email, name, password } = BROWSER_AGENT;
  await db.models.User.updateOne(
    { email },
    {
      $set: {
        name,
        roles: ['agent'],
        skills: [],
        endpoints: { twilio: 'client:benchpaint', asterisk: 'Local/2999@agents' },
        state: { status: 'offline', since: new Date() },
        active: true,
        passwordHash: await hashPassword(password),
      },
    },
    { upsert: true },
  );
  const user = await db.models.User.findOne({ email }, { _id: 1 }).lean();
  if (!user) throw new Error('no browser agent');
  return user._id;
}

/**
 * `n` customers without an owner, each the only one with its first phone, from bench:pop's pool of
 * callers: the browser agent owns them for the run; `restore` leaves them without an owner again
 * (as it does at the start for any an interrupted run left owned).
 */
async function ownCustomers(db: Database, agentId: Types.ObjectId, n: number) {
  const { Customer } = db.models;
  await Customer.updateMany({ ownerId: agentId }, { $unset: { ownerId: 1 } });
  const pool = await Customer.find({}, { phones: 1, ownerId: 1 }).limit(20_000).lean();
  const chosen: typeof pool = [];
  for (const c of pool.reverse()) {
    const e164 = c.phones[0]?.e164;
    if (!e164 || c.ownerId) continue;
    if ((await Customer.find({ phoneKeys: e164 }, { _id: 1 }).limit(2).lean()).length === 1) chosen.push(c);
    if (chosen.length === n) break;
  }
  if (chosen.length < n) throw new Error(`only ${chosen.length} unowned customers with a number of their own`);
  await Customer.updateMany({ _id: { $in: chosen.map((c) => c._id) } }, { $set: { ownerId: agentId } });
  return {
    numbers: chosen.map((c) => c.phones[0]?.e164 ?? ''),
    phones: new Set(chosen.flatMap((c) => c.phones.map((p) => p.e164))),
    restore: () => Customer.updateMany({ ownerId: agentId }, { $unset: { ownerId: 1 } }),
  };
}

/** Debian's Chromium, as the browser tests launch it (agent-ui/e2e/support/browser.ts), signed in on the desk, available. */
async function openDesk(url: string): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  const browser = await chromium.launch({
    executablePath: process.env.RINGSIDE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  // tsx compiles with esbuild's keepNames: functions sent to page.evaluate call its `__name` helper.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/login');
  await page.getByLabel('Email').fill(BROWSER_AGENT.email);
  await page.getByLabel('Password').fill(BROWSER_AGENT.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/desk');
  await page.getByText('Connected', { exact: true }).waitFor();
  await page.getByRole('group', { name: 'Change my state' }).getByRole('button', { name: 'Available' }).click();
  await page.getByTestId('agent-state').filter({ hasText: 'Available' }).waitFor();
  return { browser, page, errors };
}

/** In the page: the call's two marks as epoch ms once both are there (null after `timeoutMs`); clears the marks. */
function paintedMarks(page: Page, callId: string): Promise<{ pop: number; painted: number } | null> {
  return page.evaluate(
    ({ callId, timeoutMs, names }) =>
      new Promise<{ pop: number; painted: number } | null>((resolve) => {
        const find = (name: string) =>
          performance
            .getEntriesByName(name, 'mark')
            .find((m) => (m as { detail?: { callId?: unknown } }).detail?.callId === callId)?.startTime;
        const finish = (value: { pop: number; painted: number } | null) => {
          observer.disconnect();
          clearTimeout(timer);
          for (const name of names) performance.clearMarks(name);
          resolve(value);
        };
        const check = () => {
          const pop = find(names[0]);
          const painted = find(names[1]);
          if (pop === undefined || painted === undefined) return;
          const toEpoch = Date.now() - performance.now();
          finish({ pop: toEpoch + pop, painted: toEpoch + painted });
        };
        const observer = new PerformanceObserver(check);
        const timer = setTimeout(() => finish(null), timeoutMs);
        observer.observe({ type: 'mark' });
        check();
      }),
    { callId, timeoutMs: CALL_TIMEOUT_MS, names: [SCREENPOP_MARK, CARD_PAINTED_MARK] as const },
  );
}

/** What the desk shows and which marks it holds, for a call that was not painted in time. */
async function pageState(page: Page): Promise<string> {
  const marks = await page.evaluate(() =>
    performance.getEntriesByType('mark').map((m) => `${m.name} ${JSON.stringify((m as { detail?: unknown }).detail)}`),
  );
  const cards = await page.getByTestId('offer-card').count();
  const state = await page.getByTestId('agent-state').textContent();
  return `${cards} offer card(s), state "${state?.trim() ?? '?'}", marks [${marks.join(', ')}]`;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(argsSchema.shape).map((k) => [k, { type: 'string' as const }])),
  });
  const args = benchArgs('bench:paint', argsSchema, values);
  const built = consoleBuildState();
  if (built.state === 'unbuildable') throw new Error(`cannot build the console: ${built.reason}`);
  if (built.state !== 'fresh') console.log(`console: ${built.reason}; built in ${buildConsoleSync().ms} ms`);
  const bench = await openBenchDatabase({
    customers: args.customers,
    ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
  });
  const db = bench.db;
  const twilioRest = await startTwilioRestServer({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  let app: { url: string; child: ChildProcess } | undefined;
  let browser: Browser | undefined;
  let restore: (() => Promise<unknown>) | undefined;
  try {
    // As bench:pop: no dunning cases or callbacks left by other benchmarks to dial during the run.
    await cleanSlate(bench);
    await db.models.Callback.deleteMany({});
    await clearJobsOfEarlierRuns(db);
    // ensureAgents answers every bench agent an earlier, larger run left: --agents of them connect.
    const consoles = (await ensureAgents(db, args.agents, JWT_SECRET)).slice(0, args.agents);
    const agentId = await ensureBrowserAgent(db);
    const owned = await ownCustomers(db, agentId, args.calls + args['warmup-calls']);
    restore = owned.restore;
    const background = (await callerNumbers(db)).filter((n) => !owned.phones.has(n));
    // No job runs during the measured calls (the start, at most --max-seconds, and a minute to spare).
    const quiet = {
      until: new Date(Date.now() + 300_000 + (args['max-seconds'] + 60) * 1000),
      log: (line: string) => console.log(line),
    };
    await holdSchedules(db, quiet);
    app = await startApp({
      ...benchServerEnv({ uri: bench.uri, jwtSecret: JWT_SECRET, twilioApiBase: twilioRest.url }),
      // The browser agent never accepts: an offer left ringing must not set it away before it is cancelled.
      OFFER_ACCEPT_TIMEOUT_MS: '120000',
    });
    const url = app.url;
    const post: Post = (path, params) =>
      postTwilioWebhook({ serverUrl: url, publicUrl: TWILIO.publicUrl, authToken: TWILIO.token, path, params });
    const desk = await openDesk(url);
    browser = desk.browser;
    const customers = await db.models.Customer.estimatedDocumentCount();
    console.log(
      `\nPaint benchmark: ${customers.toLocaleString()} customers; 1 Chromium desk + ${consoles.length} socket consoles; ` +
        `background ${args.rate} calls/s; ${args.calls} measured calls (after ${args['warmup-calls']} unmeasured)`,
    );
    await quietJobs(db, quiet);
    const since = new Date();
    const load = await startLoad(
      url,
      consoles.map((c) => c.token),
      background,
      args.rate,
      post,
    );
    await new Promise((r) => setTimeout(r, 5_000)); // the load steady before the first call
    let lastSeen = '';
    const strays = new Map<string, string>();
    // Available, and holding no call; a call it holds that is not a measured one is cancelled.
    const free = async () => {
      const u = await db.models.User.findById(agentId, { state: 1, console: 1 }).lean();
      lastSeen = JSON.stringify({ state: u?.state, console: u?.console });
      const stray = u?.state.callId;
      if (stray && !strays.has(stray)) {
        const call = await db.models.Call.findById(stray, { offers: 1, fromE164: 1 }).lean();
        strays.set(stray, `${call?.fromE164 ?? '?'}: ${call?.offers.at(-1)?.reason ?? '?'}`);
        await post('/telephony/twilio/status', { CallSid: stray, AccountSid: TWILIO.sid, CallStatus: 'canceled' });
      }
      return u?.state.status === 'available' && !stray;
    };
    const toPop: number[] = [];
    const toPaint: number[] = [];
    const total: number[] = [];
    let missing = 0; // warm-up calls included
    let webhookErrors = 0;
    let offered = 0;
    const measuring = Date.now();
    for (const [i, from] of owned.numbers.entries()) {
      if (Date.now() - measuring > args['max-seconds'] * 1000) {
        console.log(`  stopped after ${args['max-seconds']} s: ${i} of ${owned.numbers.length} calls offered`);
        break;
      }
      offered += 1;
      await until('the browser agent available again', free, 60_000).catch((err: unknown) => {
        throw new Error(`${String(err)}; last seen ${lastSeen}`);
      });
      const callSid = newCallSid();
      const marks = paintedMarks(desk.page, callSid);
      marks.catch(() => undefined); // awaited below, after the webhook: not an unhandled rejection meanwhile
      const sentAt = Date.now();
      // The server answers the webhook after the pop is pushed: the page is watched meanwhile.
      const answer = post('/telephony/twilio/voice', {
        CallSid: callSid,
        AccountSid: TWILIO.sid,
        From: from,
        To: '+48221002000',
        CallStatus: 'ringing',
        Direction: 'inbound',
      });
      void answer.then(
        (res) => (webhookErrors += res.status === 200 ? 0 : 1),
        () => (webhookErrors += 1),
      );
      const seen = await marks;
      await post('/telephony/twilio/status', { CallSid: callSid, AccountSid: TWILIO.sid, CallStatus: 'canceled' });
      if ((i + 1) % 50 === 0) console.log(`  ${i + 1} / ${owned.numbers.length} calls to the desk`);
      if (!seen) {
        missing += 1;
        const agent = await db.models.User.findById(agentId, { state: 1 }).lean();
        const call = await db.models.Call.findById(callSid, { state: 1, offers: 1 }).lean();
        console.log(
          `  call ${i + 1}: not painted within ${CALL_TIMEOUT_MS / 1000} s; the call: ${JSON.stringify(call)}; ` +
            `the agent: ${JSON.stringify(agent?.state)}; the page: ${await pageState(desk.page)}`,
        );
        continue;
      }
      if (i < args['warmup-calls']) continue;
      toPop.push(seen.pop - sentAt);
      toPaint.push(seen.painted - seen.pop);
      total.push(seen.painted - sentAt);
    }
    const bg = load.stop();
    const line = (label: string, s: number[]) => {
      const f = summary(s);
      return `  ${label.padEnd(34)} p50 ${fmt(f.p50)}  p95 ${fmt(f.p95)}  p99 ${fmt(f.p99)}  max ${fmt(f.max)}`;
    };
    console.log(
      `\nbackground: ${bg.sent} calls at ${bg.rate.toFixed(1)} calls/s held, ${bg.errors} errors; ` +
        `measured: ${offered} calls to the desk, ${total.length} painted and measured, ${missing} not painted in time, ` +
        `${webhookErrors} webhook errors; page errors: ${desk.errors.length ? desk.errors.join(' | ') : 'none'}`,
    );
    if (strays.size) console.log(`  other calls offered to the desk (cancelled): ${[...strays.values()].join('; ')}`);
    console.log(line('(a) webhook sent → screenpop', toPop));
    console.log(line('(b) screenpop → card painted', toPaint));
    console.log(line('(c) webhook sent → card painted', total));
    const p95 = summary(total).p95;
    console.log(`  target (c) p95 ≤ 100 ms: ${p95 <= 100 ? 'met' : 'NOT met'} (${fmt(p95)})`);
    console.log(`  jobs during the run: ${await jobsSince(db, since)}`);
  } finally {
    await browser?.close();
    app?.child.kill('SIGTERM');
    await restore?.();
    await twilioRest.close();
    await bench.stop();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:paint: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
