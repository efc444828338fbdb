// Agenda on the application's database: scheduled and queued jobs, with their locks in
// MongoDB so that several server processes share the work. main.ts creates and starts it;
// tests either start it (to see jobs go through Agenda) or leave it stopped and call the
// services directly.
import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Clock } from '../clock';
import type { Database } from '../db/connection';
import type { Logger } from '../logger';
import { SuggestionsService, type SuggestionsOptions } from '../suggestions/suggestions.service';
import { defineSuggestionJobs, type SuggestionJobs, type SuggestionJobsOptions } from '../suggestions/suggestions.jobs';
import { defineCallbackJobs, type CallbackJobs, type CallbackJobsOptions } from '../callbacks/callbacks.jobs';
import { defineDunningJobs, type DunningJobs, type DunningJobsOptions } from '../dunning/dunning.jobs';

export interface SchedulerOptions {
  /** When false, jobs can be queued but this process runs none (default true). */
  enabled?: boolean;
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

  const aborter = new AbortController();
  const service = new SuggestionsService({
    models: deps.db.models,
    clock: deps.clock,
    logger,
    ...(options.suggestions?.service ? { options: options.suggestions.service } : {}),
  });
  const suggestions = defineSuggestionJobs(agenda, { service, logger, signal: aborter.signal }, options.suggestions);
  const dunning = defineDunningJobs(agenda, { logger, signal: aborter.signal }, options.dunning);
  const callbacks = defineCallbackJobs(agenda, { logger }, options.callbacks);

  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    agenda,
    suggestions: Object.assign(suggestions, { service }),
    dunning,
    callbacks,
    async start() {
      if (options.enabled === false || started) return;
      await agenda.ready;
      await agenda.start();
      started = true;
      await suggestions.schedule();
      await dunning.schedule();
      await callbacks.schedule();
      logger.info('jobs started');
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
