// Faults under load, with real parts: two server processes (`server/src/main.ts`) behind Debian's
// nginx, on one embedded database and one Redis, with the local Twilio REST stand-in; agent consoles
// connected through nginx take calls that arrive as signed Twilio webhooks at a steady rate. In the
// middle of the load one server is killed (SIGKILL), later the database and then Redis are
// restarted. Afterwards the database, the callers' and consoles' records and the servers' logs say
// whether any call, interaction, callback or acknowledged note was lost or doubled.
//   npm run test:faults -- [--rate 50] [--seconds 80] [--agents 40] [--talk-ms 300] [--keep]
// Exit 1 with a FAIL line per failed check; the working directory (logs) is kept on failure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startTwilioRestServer } from '@ringside/telephony/testing';
import { benchArgs } from './bench-app';
import { freePort } from '../server/src/db/embedded-db.mjs';
import { connectDatabase } from '../server/src/db/connection';
import { ensureIndexes } from '../server/src/db/models';
import { DEMO_PASSWORD, seedDatabase, seedDemoUsers } from '../server/src/seed/seed';
import { DatabaseProcess, RedisProcess, ServerProcess, sleep, startNginx } from './test-faults/processes';
import { Ledger } from './test-faults/ledger';
import { Callers } from './test-faults/callers';
import { AgentConsole, Counters } from './test-faults/consoles';
import { HealthPoller, NoteWriter } from './test-faults/probes';
import { Report, checkRun } from './test-faults/checks';
import { balancedKeys, createAgents, login } from './test-faults/setup';

const argsSchema = z.object({
  // 10 calls/s by default: what two server processes, their database, nginx, Redis and this
  // process's 40 consoles hold together on CI's two cores. Calls of one queue are admitted one
  // after another in each process, so above about 15 calls/s here the callers wait on the
  // database's latency under load (`--faults false --rate 50` shows the machine's limit).
  rate: z.coerce.number().positive().max(500).default(10),
  /** At least this long; the load goes on until the last fault is over. */
  seconds: z.coerce.number().min(10).max(600).default(80),
  agents: z.coerce.number().int().min(4).max(500).default(40),
  'talk-ms': z.coerce.number().int().min(0).max(60_000).default(300),
  customers: z.coerce.number().int().min(10).max(100_000).default(1000),
  keep: z.boolean().default(false),
  /** `--faults false`: the same load with no fault, to see what the machine holds. */
  faults: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});

/** The faults' timing (ms): each step waits for the one before it to have finished. */
const STEPS = {
  beforeKill: 12_000,
  killedFor: 8_000,
  between: 10_000,
  dbDownFor: 12_000,
  redisDownFor: 6_000,
  after: 12_000,
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seconds: { type: 'string' },
      agents: { type: 'string' },
      'talk-ms': { type: 'string' },
      customers: { type: 'string' },
      keep: { type: 'boolean' },
      faults: { type: 'string' },
    },
  });
  const args = benchArgs('test:faults', argsSchema, values);
  const runStarted = Date.now();
  // How late this process's own timers ran: a figure that says whether the machine kept up.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  let lagMax = 0;
  const loadBefore = loadavg()[0] ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'ringside-faults-'));
  const say = (line: string) => console.log(`[${((Date.now() - runStarted) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  say(`test:faults: ${args.agents} consoles, ${args.rate} calls/s for ${args.seconds} s; working in ${dir}`);

  // Secrets of this run only.
  const twilio = { sid: `AC${randomBytes(16).toString('hex')}`, token: randomBytes(16).toString('hex') };
  const jwtSecret = randomBytes(32).toString('base64url');
  const metricsToken = randomBytes(16).toString('hex');

  const database = new DatabaseProcess(join(dir, 'db'), await freePort());
  await database.start();
  const redis = new RedisProcess(await freePort());
  await redis.start();
  const twilioRest = await startTwilioRestServer({ accountSid: twilio.sid, authToken: twilio.token });
  // The run's own connection: seeds, then reads what the servers wrote (it rides out the restart).
  const db = await connectDatabase(database.uri, { serverSelectionTimeoutMS: 60_000 });
  await ensureIndexes(db.models);
  await seedDemoUsers(db.models);
  await seedDatabase(db.models, { customers: args.customers, seed: 7, now: new Date() });
  const customers = await db.models.Customer.find({}, { phones: 1 }).limit(args.customers).lean();
  const known = customers.flatMap((c) => c.phones.map((p) => p.e164));
  const unknown = Array.from({ length: Math.ceil(known.length / 9) }, (_, i) => `+48500${String(900000 + i)}`);
  const numbers = [...known, ...unknown];
  say(`database, Redis and the Twilio stand-in up; ${customers.length} customers seeded`);

  const [nginxPort, portA, portB] = [await freePort(), await freePort(), await freePort()];
  const nginx = await startNginx(join(dir, 'nginx'), { port: nginxPort, upstreams: [portA, portB] });
  const env = (name: string): Record<string, string> => ({
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    DATA_DIR: join(dir, `server-${name}`),
    MONGODB_URI: database.uri,
    REDIS_URL: redis.url,
    JWT_SECRET: jwtSecret,
    TWILIO_ACCOUNT_SID: twilio.sid,
    TWILIO_AUTH_TOKEN: twilio.token,
    TWILIO_API_BASE: twilioRest.url,
    PUBLIC_URL: nginx.url,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    // Read for the servers' own event-loop lag in the progress lines.
    METRICS_TOKEN: metricsToken,
  });
  const servers = [
    new ServerProcess('a', portA, env('a'), join(dir, 'server-a.log')),
    new ServerProcess('b', portB, env('b'), join(dir, 'server-b.log')),
  ];
  await Promise.all(servers.map((s) => s.start()));
  const nodeOf = (upstream: string | null) => {
    const last = upstream?.split(',').at(-1)?.trim();
    return servers.find((s) => last === `127.0.0.1:${s.port}`)?.name;
  };
  say(`servers a (:${portA}) and b (:${portB}) up behind nginx ${nginx.url}`);

  const adminToken = await login(nginx.url, 'admin@ringside.test', DEMO_PASSWORD);
  const agents = await createAgents(nginx.url, db.models, args.agents);
  const keys = await balancedKeys(nginx.url, nodeOf, args.agents);
  const ledger = new Ledger();
  const counters = new Counters();
  const callbacksAcked = new Set<string>();
  const consoles = agents.map(
    (a, i) =>
      new AgentConsole(i + 1, a.id, keys[i]?.key ?? `k${i}`, a.token, {
        url: nginx.url,
        ledger,
        nodeOf,
        counters,
        callbacksAcked,
      }),
  );
  await Promise.all(consoles.map((c) => c.ready()));
  await sleep(500);
  const spread = servers.map((s) => `${s.name} ${consoles.filter((c) => c.node === s.name).length}`).join(', ');
  say(`${consoles.length} consoles signed in through nginx and available (${spread})`);

  const callers = new Callers({
    url: nginx.url,
    publicUrl: nginx.url,
    accountSid: twilio.sid,
    authToken: twilio.token,
    twilio: twilioRest,
    ledger,
    numbers,
    talkMs: args['talk-ms'],
    nodeOf,
  });
  const health = new HealthPoller(servers);
  health.start();
  const notes = new NoteWriter(
    nginx.url,
    adminToken,
    customers.map((c) => c._id.toString()),
    5,
  );
  notes.start();

  // The load, and the faults one after another beside it: each begins a while after the one
  // before has ended (a server restarted under load takes its time), and the load goes on until
  // a while after the last.
  const opsBefore = await databaseOps(db);
  const f = ledger.faults;
  f.loadStart = Date.now();
  const moved: Array<{ n: number; connectedAt: number | undefined; firstPopAt: number | undefined }> = [];
  let movedConsoles: AgentConsole[] = [];
  const bothHealthy = async () => {
    while (!(await Promise.all(servers.map((s) => s.healthy()))).every(Boolean)) await sleep(250);
  };
  const faults = (async () => {
    if (!args.faults) return sleep(args.seconds * 1000);
    await sleep(STEPS.beforeKill);
    const victim = servers[1] as ServerProcess;
    movedConsoles = consoles.filter((c) => c.node === victim.name);
    f.killAt = Date.now();
    f.killedNode = victim.name;
    await victim.kill();
    say(`fault 1: server ${victim.name} killed (SIGKILL) with ${movedConsoles.length} consoles on it`);
    await sleep(STEPS.killedFor);
    say(`server ${victim.name} starting again`);
    await victim.start({ serving: true });
    f.restartedAt = Date.now();
    // Its consoles' pages are reloaded: nginx sends them home again (consoles on both processes for Redis).
    for (const c of consoles) if (keys[c.n - 1]?.node === victim.name) c.reload();
    f.rebalancedAt = Date.now();
    say(`server ${victim.name} up again; its consoles reloaded`);
    await sleep(STEPS.between);
    f.dbStopAt = Date.now();
    say('fault 2: database stopping');
    await database.stop();
    say('database stopped');
    await sleep(STEPS.dbDownFor);
    f.dbStartingAt = Date.now();
    await database.start();
    f.dbStartAt = Date.now();
    say('database started again');
    await bothHealthy();
    say('both servers say the database is ok');
    await sleep(STEPS.between);
    f.redisStopAt = Date.now();
    await redis.stop();
    say('fault 3: Redis stopped');
    await sleep(STEPS.redisDownFor);
    await redis.start();
    f.redisStartAt = Date.now();
    say('Redis started again');
    await sleep(STEPS.after);
  })();
  let faultsDone = false;
  let faultFailed: unknown;
  void faults.then(
    () => (faultsDone = true),
    (err: unknown) => {
      faultFailed = err;
      faultsDone = true;
    },
  );
  // A line every 5 s: how the load is going.
  const progress = setInterval(async () => {
    const serverLag = await Promise.all(servers.map((s) => s.eventLoopLagMax(metricsToken)));
    const calls = [...ledger.calls.values()];
    const recent = calls.filter((c) => c.webhook && c.webhook.at > Date.now() - 5000);
    const slow = recent.filter((c) => (c.webhook?.at ?? 0) - c.sentAt > 2000).length;
    say(
      `  sent ${calls.length}, admitted ${calls.filter((c) => c.webhook?.status === 200).length}, refused ${calls.filter((c) => c.refused).length}, answered ${calls.filter((c) => c.dialedAt).length}, waiting ${ledger.waiting().length}; last 5 s: ${recent.length} webhooks answered, ${slow} after more than 2 s; timers late up to ${(lag.max / 1e6).toFixed(0)} ms here, ${servers.map((s, i) => `${s.name} ${serverLag[i] ?? '-'}`).join(' ')} ms in the servers`,
    );
    lagMax = Math.max(lagMax, lag.max);
    lag.reset();
  }, 5000);
  let sent = 0;
  const minimum = Math.round(args.rate * args.seconds);
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const due = Math.floor(((Date.now() - f.loadStart) / 1000) * args.rate);
      while (sent < due) {
        callers.place();
        sent += 1;
      }
      if (sent >= minimum && faultsDone) {
        clearInterval(tick);
        done();
      }
    }, 5);
  });
  f.loadEnd = Date.now();
  clearInterval(progress);
  // Counted over the load; a restarted database counts from zero again (then the figure is left out).
  const opsAfter = await databaseOps(db);
  if (faultFailed) throw faultFailed;
  say(`load over: ${sent} calls sent; waiting for the line to empty`);

  // The line empties while agents make progress; callers still waiting then are counted as lost.
  let lastAnswered = -1;
  let still = Date.now();
  const drainDeadline = Date.now() + 120_000;
  while (ledger.waiting().length > 0 && Date.now() < drainDeadline && Date.now() - still < 20_000) {
    const answered = [...ledger.calls.values()].filter((c) => c.dialedAt).length;
    if (answered !== lastAnswered) {
      lastAnswered = answered;
      still = Date.now();
    }
    await sleep(500);
  }
  const drained = await callers.hangUpWaiting();
  await callers.settled();
  const wrapDeadline = Date.now() + 40_000;
  while (consoles.some((c) => c.holding > 0) && Date.now() < wrapDeadline) await sleep(500);
  await notes.stop();
  await sleep(3000);
  health.stop();
  for (const c of movedConsoles) {
    const connectedAt = c.connectedAt !== undefined && c.connectedAt > (f.killAt ?? 0) ? c.connectedAt : undefined;
    const firstPopAt = [...ledger.calls.values()]
      .flatMap((call) => call.pops)
      .filter((p) => p.agent === c.n && p.at > (f.killAt ?? 0))
      .reduce<number | undefined>((min, p) => (min === undefined || p.at < min ? p.at : min), undefined);
    moved.push({ n: c.n, connectedAt, firstPopAt });
  }
  say(`line empty (${drained} callers hung up still waiting); checking`);

  lag.disable();
  const stages = await Promise.all(servers.map((s) => s.popStages(metricsToken)));
  writeFileSync(join(dir, 'ledger.json'), JSON.stringify({ faults: ledger.faults, calls: [...ledger.calls.values()] }));
  const report = new Report();
  report.figure('machine load average at start / end', `${loadBefore.toFixed(1)} / ${(loadavg()[0] ?? 0).toFixed(1)}`);
  servers.forEach((server, i) => {
    const list = [...(stages[i] ?? new Map<string, { mean: number; count: number }>())];
    const text = list.map(([k, v]) => `${k} ${(v.mean * 1000).toFixed(1)} ms`).join(', ');
    if (text) report.figure(`${server.name}: pop path, mean per stage`, text);
  });
  if (opsAfter >= opsBefore && !args.faults)
    report.figure('database operations per call', ((opsAfter - opsBefore) / Math.max(1, sent)).toFixed(1));
  report.figure('this process: timers late by at most', `${(Math.max(lagMax, lag.max) / 1e6).toFixed(0)} ms`);
  await checkRun(
    {
      models: db.models,
      ledger,
      consoles,
      counters,
      callerStatuses: callers.statuses,
      notes: notes.results,
      health: health.samples,
      servers,
      exits: servers.flatMap((s) => s.unexpected),
      callbacksAcked,
      moved,
      drained,
      runMs: Date.now() - runStarted,
    },
    report,
  );
  report.print();

  for (const c of consoles) c.close();
  await Promise.all(servers.map((s) => s.stop()));
  await nginx.stop();
  await redis.stop();
  await twilioRest.close();
  await db.close();
  await database.stop();
  const failed = report.failed;
  if (failed > 0 || args.keep) console.log(`\nlogs and data kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  console.log(
    failed === 0
      ? `\ntest:faults: every check passed (${((Date.now() - runStarted) / 1000).toFixed(0)} s)`
      : `\ntest:faults: ${failed} check(s) FAILED`,
  );
  return failed === 0 ? 0 : 1;
}

/** Operations the database has served since it started (serverStatus opcounters). */
async function databaseOps(db: {
  conn: { db?: { admin(): { command(c: object): Promise<unknown> } } };
}): Promise<number> {
  const status = (await db.conn.db?.admin().command({ serverStatus: 1 })) as
    { opcounters?: Record<string, number> } | undefined;
  return Object.values(status?.opcounters ?? {}).reduce((a, b) => a + b, 0);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:faults: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
