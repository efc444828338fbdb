// Agenda on the application's database: scheduled and queued jobs, with their locks in
// MongoDB so that several server processes share the work. main.ts creates and starts it;
// tests either start it (to see jobs go through Agenda) or leave it stopped and call the
// services directly.
import { hostname } from 'node:os';
import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Clock } from '../clock';
import type { Database } from '../db/connection';
import type { Logger } from '../logger';
import { SuggestionsService, type SuggestionsOptions } from '../suggestions/suggestions.service';
import { defineSuggestionJobs, type SuggestionJobs, type SuggestionJobsOptions } from '../suggestions/suggestions.jobs';
import { defineCallbackJobs, type CallbackJobs, type CallbackJobsOptions } from '../callbacks/callbacks.jobs';
import { defineDunningJobs, type DunningJobs, type DunningJobsOptions } from '../dunning/dunning.jobs';
import { JobRuns } from './job-runs';
import { Pacer, type PacerOptions } from './pacer';

/**
 * The jobs by where they belong: the callbacks dialer rings agents and callers (the call path's
 * process); the dunning scan and the suggestions runs are batch work (the worker's).
 */
export type JobGroup = 'callbacks' | 'dunning' | 'suggestions';
export const WEB_JOBS: readonly JobGroup[] = ['callbacks'];
export const WORKER_JOBS: readonly JobGroup[] = ['dunning', 'suggestions'];

export interface SchedulerOptions {
  /** When false, jobs can be queued but this process runs none (default true). */
  enabled?: boolean;
  /** The jobs this process runs (default all); the others it can still queue. */
  run?: readonly JobGroup[];
  /** How batch jobs give way to the call path. */
  pacer?: PacerOptions;
  /** How often Agenda looks for due jobs (default 5 s). */
  processEvery?: string | number;
  /** Agenda's collection (default agendaJobs). */
  collection?: string;
  /** Identifies this process in Agenda's locks (lastModifiedBy). */
  name?: string;
  /** How long stop() lets running jobs finish before leaving them to another process (default 10 s). */
  drainTimeoutMs?: number;
  suggestions?: SuggestionJobsOptions & { service?: SuggestionsOptions };
  dunning?: DunningJobsOptions;
  callbacks?: CallbackJobsOptions;
}

export interface Scheduler {
  readonly agenda: Agenda;
  readonly suggestions: SuggestionJobs & { service: SuggestionsService };
  readonly dunning: DunningJobs;
  readonly callbacks: CallbackJobs;
  /** One run at a time of the long jobs, across processes. */
  readonly runs: JobRuns;
  /** Between batches, the batch jobs wait on it. */
  readonly pacer: Pacer;
  /** Start processing and put recurring jobs on the schedule (nothing when disabled). */
  start(): Promise<void>;
  /**
   * Graceful stop: no new jobs, long jobs are asked to stop (AbortSignal), running jobs get
   * `drainTimeoutMs` to finish. The database connection stays open (it is the caller's).
   */
  stop(): Promise<void>;
}

export function createScheduler(
  deps: { db: Database; logger: Logger; clock: Clock },
  options: SchedulerOptions = {},
): Scheduler {
  const mongo = deps.db.conn.db;
  if (!mongo) throw new Error('createScheduler: the database connection is not open');
  const logger = deps.logger.child({ component: 'jobs' });
  const agenda = new Agenda({
    backend: new MongoBackend({
      mongo,
      collection: options.collection ?? 'agendaJobs',
      ...(options.name ? { name: options.name } : {}),
    }),
    // Due callbacks are offered within a few seconds of their time.
    processEvery: options.processEvery ?? '1 second',
    ...(options.name ? { name: options.name } : {}),
  });
  agenda.on('error', (err) => logger.error({ err }, 'agenda error'));
  agenda.on('fail', (err: Error | string, job: { attrs: { name: string } } | { jobName: string }) => {
    const name = 'attrs' in job ? job.attrs.name : job.jobName;
    logger.error({ err, job: name }, 'job failed');
  });

  const runsHere = new Set<JobGroup>(options.run ?? ['callbacks', 'dunning', 'suggestions']);
  const runs = new JobRuns({ models: deps.db.models, clock: deps.clock, name: options.name ?? processName() });
  const pacer = new Pacer({ models: deps.db.models, clock: deps.clock, logger }, options.pacer);
  const aborter = new AbortController();
  const service = new SuggestionsService({
    models: deps.db.models,
    clock: deps.clock,
    logger,
    ...(options.suggestions?.service ? { options: options.suggestions.service } : {}),
  });
  const signal = aborter.signal;
  const suggestions = defineSuggestionJobs(
    agenda,
    { service, logger, signal, process: runsHere.has('suggestions'), runs, pace: pacer.lane() },
    options.suggestions,
  );
  const dunning = defineDunningJobs(agenda, { logger, signal, process: runsHere.has('dunning') }, options.dunning);
  const callbacks = defineCallbackJobs(agenda, { logger, process: runsHere.has('callbacks') }, options.callbacks);

  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    agenda,
    suggestions: Object.assign(suggestions, { service }),
    dunning,
    callbacks,
    runs,
    pacer,
    async start() {
      if (options.enabled === false || started) return;
      await agenda.ready;
      await agenda.start();
      started = true;
      // Each recurring job is put on the schedule by the processes that run it.
      if (runsHere.has('suggestions')) await suggestions.schedule();
      if (runsHere.has('dunning')) await dunning.schedule();
      if (runsHere.has('callbacks')) await callbacks.schedule();
      logger.info({ run: [...runsHere] }, 'jobs started');
    },
    stop() {
      stopping ??= (async () => {
        aborter.abort(new Error('the scheduler is stopping'));
        if (!started) return;
        // No new jobs; running ones finish (the full run stops at its next batch). A job still
        // running at the deadline keeps its lock until the lock expires, then runs elsewhere.
        const result = await agenda.drain(options.drainTimeoutMs ?? 10_000);
        if (result.timedOut) logger.warn({ running: result.running }, 'jobs still running at shutdown');
        logger.info('jobs stopped');
      })();
      return stopping;
    },
  };
}

/** This process in Agenda's locks and the jobs' runs: host and pid. */
export function processName(): string {
  return `${hostname()}:${process.pid}`;
}
