// bench:pop's jobs: an admin's token, the dunning catch-up scan and the suggestions full run started
// over HTTP as an admin would (the worker runs them), and what the jobs did during a phase.
import jwt from 'jsonwebtoken';
import type { Database } from '../../server/src/db/connection';
import { hashPassword } from '../../server/src/auth/auth.service';
import { SessionStore } from '../../server/src/auth/sessions';
import { systemClock } from '../../server/src/clock';
import { DUNNING_SCAN } from '../../server/src/dunning/scans';
import { SUGGESTIONS_FULL } from '../../server/src/suggestions/suggestions.jobs';

export const BENCH_JOBS = [DUNNING_SCAN, SUGGESTIONS_FULL] as const;

export async function adminToken(db: Database, secret: string): Promise<string> {
  const email = 'bench-admin@ringside.test';
  await db.models.User.updateOne(
    { email },
    {
      $set: { name: 'Bench Admin', roles: ['admin'], active: true, state: { status: 'offline', since: new Date() } },
      $setOnInsert: { passwordHash: await hashPassword('ringside') },
    },
    { upsert: true },
  );
  const user = await db.models.User.findOne({ email }, { _id: 1 }).lean();
  if (!user) throw new Error('no bench admin');
  const expiresAt = new Date(Date.now() + 6 * 3_600_000);
  const sid = await new SessionStore(db.models, systemClock).open(user._id.toString(), expiresAt);
  return jwt.sign({ sub: user._id.toString(), sid, roles: ['admin'], name: 'Bench Admin' }, secret, {
    expiresIn: '6h',
  });
}

/**
 * Starts a dunning scan (on a database without cases: the catch-up of every overdue invoice) and a
 * suggestions full run, unless they run already, and waits until the worker has started both. The scan's answer comes when it ends;
 * nobody waits for it here.
 */
export async function startJobs(db: Database, url: string, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const asked = new Date(Date.now() - 1000);
  void fetch(`${url}/api/dunning/run`, { method: 'POST', headers, signal: AbortSignal.timeout(3_600_000) }).catch(
    () => undefined,
  );
  const suggestions = await fetch(`${url}/api/suggestions/run`, { method: 'POST', headers });
  if (suggestions.status !== 202 && suggestions.status !== 409)
    throw new Error(`POST /api/suggestions/run answered ${suggestions.status}: ${await suggestions.text()}`);
  // Each has started since it was asked for (on a small database it may have finished already).
  const deadline = Date.now() + 120_000;
  for (;;) {
    // One query each (no $or): those under way, and those started since (and maybe done already).
    const [running, recent] = await Promise.all([
      db.models.JobRun.find({ _id: { $in: [...BENCH_JOBS] }, state: 'running' }, { _id: 1 }).lean(),
      db.models.JobRun.find({ _id: { $in: [...BENCH_JOBS] }, startedAt: { $gte: asked } }, { _id: 1 }).lean(),
    ]);
    const started = [...new Set([...running, ...recent].map((r) => r._id))];
    if (started.length === BENCH_JOBS.length) return;
    if (Date.now() > deadline)
      throw new Error(`the jobs did not start within 120 s (started: ${started.join(', ') || 'none'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs of the long jobs that an earlier benchmark started and never saw end (killed with its server):
 * Agenda would start them again once their lock expires, in the middle of a phase that should have
 * no job running. The one-off runs go; the schedules stay, unlocked.
 */
export async function clearJobsOfEarlierRuns(db: Database): Promise<void> {
  const mongo = db.conn.db;
  if (!mongo) throw new Error('no database');
  const agendaJobs = mongo.collection('agendaJobs');
  await agendaJobs.deleteMany({ name: { $in: [...BENCH_JOBS] }, type: 'normal' });
  await agendaJobs.updateMany({ name: { $in: [...BENCH_JOBS] } }, { $unset: { lockedAt: '' } });
  await db.models.JobRun.deleteMany({});
}

/**
 * Before a phase that should have no job running: waits for the long jobs under way or queued to
 * end (a fresh small seed gets its first suggestions run at once when the worker starts, and a
 * killed benchmark's runs come back), then holds their schedules until `until` (the hourly dunning
 * scan at minute 5 would otherwise start a catch-up scan in the middle of the phase). The schedules
 * keep their rule: Agenda computes the run after the held one from it again.
 */
export async function quietJobs(
  db: Database,
  options: { until: Date; log: (line: string) => void; maxWaitMs?: number },
): Promise<void> {
  const mongo = db.conn.db;
  if (!mongo) throw new Error('no database');
  const agendaJobs = mongo.collection('agendaJobs');
  const names = { $in: [...BENCH_JOBS] };
  // A database without suggestions may get its first full run as the worker starts: give it time to be queued.
  if ((await db.models.CustomerSuggestions.estimatedDocumentCount()) === 0) {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(await db.models.JobRun.exists({ _id: SUGGESTIONS_FULL })))
      await new Promise((r) => setTimeout(r, 500));
  }
  const started = Date.now();
  const maxWaitMs = options.maxWaitMs ?? 30 * 60_000;
  let told = 0;
  for (;;) {
    const [running, queued] = await Promise.all([
      db.models.JobRun.find({ _id: names, state: 'running' }).lean(),
      agendaJobs.countDocuments({ name: names, type: 'normal', nextRunAt: { $ne: null } }),
    ]);
    if (running.length === 0 && queued === 0) break;
    const what = running.map((r) => `${r._id} (${r.phase ?? 'starting'} ${(r.done ?? 0).toLocaleString()})`);
    if (Date.now() - started > maxWaitMs) {
      options.log(
        `jobs: still under way after ${Math.round(maxWaitMs / 60_000)} min, measuring anyway: ${what.join('; ') || `${queued} queued`}`,
      );
      break;
    }
    if (Date.now() - told > 15_000) {
      options.log(
        `jobs: waiting for ${what.join('; ') || `${queued} queued run(s)`} to end before a phase with no job`,
      );
      told = Date.now();
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  await holdSchedules(db, options);
}

/**
 * Holds the long jobs' schedules due before `until` until then. Called before the server starts
 * too: a schedule overdue since an earlier benchmark held it runs as soon as the worker is up
 * (found: the dunning catch-up and the suggestions full run, started with the worker, kept a
 * 1M-customer benchmark waiting for them).
 */
export async function holdSchedules(
  db: Database,
  options: { until: Date; log: (line: string) => void },
): Promise<void> {
  const mongo = db.conn.db;
  if (!mongo) throw new Error('no database');
  const agendaJobs = mongo.collection('agendaJobs');
  const due = await agendaJobs
    .find(
      { name: { $in: [...BENCH_JOBS] }, type: 'single', nextRunAt: { $lt: options.until } },
      { projection: { name: 1, nextRunAt: 1 } },
    )
    .toArray();
  for (const job of due) {
    await agendaJobs.updateOne({ _id: job._id }, { $set: { nextRunAt: options.until } });
    const at = job.nextRunAt instanceof Date ? job.nextRunAt.toISOString().slice(11, 16) : '?';
    options.log(
      `jobs: the scheduled ${String(job.name)} due at ${at} UTC is held until ${options.until.toISOString().slice(11, 19)} UTC, after the phases with no job`,
    );
  }
}

/** The long jobs that ran at some time since `since`, with how far they got. */
export async function jobsSince(db: Database, since: Date): Promise<string> {
  const runs = await db.models.JobRun.find({ heartbeatAt: { $gte: since } }).lean();
  if (runs.length === 0) return 'none';
  return runs
    .map((r) => `${r._id} ${r.state}${r.phase ? ` (${r.phase} ${(r.done ?? 0).toLocaleString()})` : ''}`)
    .join('; ');
}
