import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, freshDatabase, type TestServer } from '../testing/harness';
import { seedDemoUsers, DEMO_PASSWORD } from '../seed/seed';
import { systemClock } from '../clock';
import { createLogger } from '../logger';
import type { Database } from '../db/connection';
import { JobRuns } from './job-runs';
import { createScheduler, WEB_JOBS, WORKER_JOBS, type Scheduler } from './scheduler';
import { DUNNING_SCAN, localScans, queuedScans } from '../dunning/scans';
import { startWorker, type Worker } from '../worker';
import { TwilioProvider } from '@ringside/telephony';

// One dunning scan at a time across processes: `POST /api/dunning/run` while one is under way
// answers 409 with its progress (it was a 500), a run whose process died is taken over, and a web
// process beside a worker has the worker scan and answers with the worker's report.
const logger = createLogger('silent');
let db: Database & { drop(): Promise<void> };
let server: TestServer;

async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@ringside.test', password: DEMO_PASSWORD }),
  });
  return ((await res.json()) as { token: string }).token;
}

const runScan = async (url: string) =>
  fetch(`${url}/api/dunning/run`, { method: 'POST', headers: { authorization: `Bearer ${await adminToken(url)}` } });

beforeAll(async () => {
  db = await freshDatabase();
  await seedDemoUsers(db.models);
  server = await startTestServer({ db });
});

afterAll(async () => {
  await server.stop();
  await db.drop();
});

describe('POST /api/dunning/run while a scan is under way', () => {
  it('answers 409 with the running scan’s progress, and 200 once it has ended', async () => {
    const other = new JobRuns({ models: db.models, clock: systemClock, name: 'elsewhere:1' });
    const run = await other.begin(DUNNING_SCAN);
    run.progress('steps', 1200);
    await new Promise((r) => setTimeout(r, 100)); // the progress write lands
    const res = await runScan(server.url);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('conflict');
    expect(body.error.details).toMatchObject({ job: DUNNING_SCAN, by: 'elsewhere:1', phase: 'steps', done: 1200 });
    await run.finish({ ok: true });
    expect((await runScan(server.url)).status).toBe(200);
  });

  it('lets exactly one of many runs asked for at once begin', async () => {
    const runs = Array.from(
      { length: 8 },
      (_, i) => new JobRuns({ models: db.models, clock: systemClock, name: `p:${i}` }),
    );
    const results = await Promise.allSettled(runs.map((r) => r.begin('race:job')));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code: string }).code)).toEqual(
      Array(7).fill('conflict'),
    );
    if (won[0]?.status === 'fulfilled') await won[0].value.fail(new Error('done with it'));
    // Ended (even failed): the next one may begin.
    await expect(runs[0]?.begin('race:job')).resolves.toBeDefined();
  });

  it('takes over a run whose heartbeat stopped, or whose process on this machine is gone', async () => {
    const quick = new JobRuns({ models: db.models, clock: systemClock, name: 'elsewhere:2' }, { staleMs: 200 });
    await quick.begin('stale:job');
    await expect(
      new JobRuns({ models: db.models, clock: systemClock, name: 'x:1' }).begin('stale:job'),
    ).rejects.toThrow('already running');
    await new Promise((r) => setTimeout(r, 300));
    await expect(quick.begin('stale:job')).resolves.toBeDefined();

    // A pid of this machine that no longer runs (the highest pids are never handed out).
    const { hostname } = await import('node:os');
    const dead = new JobRuns({ models: db.models, clock: systemClock, name: `${hostname()}:4194303` });
    await dead.begin('dead:job');
    await expect(
      new JobRuns({ models: db.models, clock: systemClock, name: 'x:2' }).begin('dead:job'),
    ).resolves.toBeDefined();
  });
});

describe('a web process beside a worker', () => {
  let web: TestServer;
  let webJobs: Scheduler;
  let worker: Worker;

  beforeAll(async () => {
    webJobs = createScheduler({ db, logger, clock: systemClock }, { run: WEB_JOBS, name: 'web:1', processEvery: 200 });
    web = await startTestServer({
      db,
      jobs: {
        dunningScans: queuedScans({ runs: webJobs.runs, clock: systemClock, enqueue: () => webJobs.dunning.runNow() }),
      },
    });
    await webJobs.start();
    const config = web.config;
    const twilio = new TwilioProvider({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      apiBase: config.twilio.apiBase,
      publicUrl: config.publicUrl,
    });
    worker = await startWorker({ config, db, logger, clock: systemClock, twilio, name: 'worker:1' });
  });

  afterAll(async () => {
    await worker.stop();
    await webJobs.stop();
    await web.stop();
  });

  it('has the worker run the scan asked for over HTTP, and answers with its report', async () => {
    const res = await runScan(web.url);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cases: { live: expect.any(Number) }, actions: expect.any(Object) });
    const doc = await db.models.JobRun.findById(DUNNING_SCAN).lean();
    expect(doc).toMatchObject({ state: 'finished', by: 'worker:1' });
  });

  it('runs the batch jobs only in the worker: the web process defines the callbacks job alone', () => {
    expect(Object.keys(webJobs.agenda.definitions).sort()).toEqual(['callbacks:due']);
    expect(Object.keys(worker.jobs.agenda.definitions).sort()).toEqual(
      ['dunning:scan', 'suggestions:customer', 'suggestions:full'].sort(),
    );
    expect(WORKER_JOBS).toEqual(['dunning', 'suggestions']);
  });

  it('local scans refuse while the worker’s scan runs', async () => {
    const held = await worker.jobs.runs.begin(DUNNING_SCAN);
    const here = localScans({ service: web.app.dunning, runs: webJobs.runs, logger });
    await expect(here.run()).rejects.toMatchObject({ code: 'conflict' });
    await held.finish({});
  });
});
