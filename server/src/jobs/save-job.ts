// Every job Ringside queues or schedules is saved through `saveJob`, because the embedded
// database (SecantusDB) can answer `null` to a `findOneAndUpdate` with `upsert` when identical
// upserts run at once (README, "The embedded database"): the update is applied to the one
// document the writers share, only the answer is missing. @agendajs/mongo-backend saves unique
// jobs (`unique()`, `debounce()`) and recurring ones (`every`, type `single`) with exactly such
// an upsert and asserts on the answer, so a burst of orders for one customer, or two server
// processes starting together, made the save throw with the job in place. Saving again applies
// the same update to that job and reads it back: still one job.
import { AssertionError } from 'node:assert';
import type { Logger } from '../logger';

/**
 * The assertions of @agendajs/mongo-backend (MongoJobRepository.saveJob) on a `null` answer:
 * - the upsert of a unique or `single` job answered `null` (the database fact above);
 * - a debounced job found a moment earlier was locked or removed before it could be pushed
 *   back (the update matched nothing; saving again queues a job of its own).
 * The library throws a plain `node:assert` AssertionError, with no code of its own and without
 * the database's reply, so its message is the only handle on these two cases. Any other error,
 * and an AssertionError with any other message, is not retried. A test pins both messages to
 * the installed library version.
 */
export const NULL_ANSWER_MESSAGES: readonly string[] = [
  'findOneAndUpdate with upsert should always return a document',
  'findOneAndUpdate should return a document',
];

/** True for the backend's assertion on a `null` answer to its job upsert or debounce update. */
export function isNullAnswer(err: unknown): boolean {
  return err instanceof AssertionError && NULL_ANSWER_MESSAGES.includes(err.message);
}

export interface SaveJobOptions {
  /** Saves tried in all (default 4). */
  attempts?: number;
  /** Told about each retry (debug level). */
  logger?: Logger;
  /** The job's name, for the log. */
  job?: string;
}

/**
 * Runs `save` (an Agenda `job.save()`, `agenda.every(…)`, `agenda.now(…)`), and runs it again
 * when the backend reports a `null` answer (isNullAnswer). `save` must build and save the job
 * from scratch each time, so that the retry starts over with a fresh look-up. Saving a unique
 * or recurring job again updates the same document (a debounced job's run moves on by the
 * milliseconds between the two saves). Every other failure, and the last attempt's, goes to
 * the caller.
 */
export async function saveJob<T>(save: () => Promise<T>, options: SaveJobOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await save();
    } catch (err) {
      if (attempt >= attempts || !isNullAnswer(err)) throw err;
      // Measured: a look right after the null answer always finds the job.
      options.logger?.debug(
        { job: options.job, attempt, err },
        'job save: the database answered null to the job upsert; saving again',
      );
    }
  }
}
