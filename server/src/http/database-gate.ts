// While the database is away, a request that needs it is refused at once with 503 `unavailable`,
// instead of waiting out the driver's server selection (10 s) and failing then. Found by
// `npm run test:faults`: with the database restarted under 50 calls/s, every webhook and API call
// of the outage waited its 10 s, the callers' retries came on top, and when the database was back
// the processes spent minutes on that backlog (their accept queues full, /healthz unanswered)
// while new calls kept coming. The connection's state follows the driver's view of the server
// (mongoose sets it from the topology), which notices a stopped server at once and a returning
// one within a heartbeat.
import type { RequestHandler } from 'express';
import type { Database } from '../db/connection';
import { databaseReachable } from '../db/unavailable';
import { unavailable, type AppError } from '../errors';

/** The refusal while the database is away (HTTP and socket events alike), else undefined. */
export function databaseAway(db: Pick<Database, 'conn'>): AppError | undefined {
  return databaseReachable(db.conn) ? undefined : unavailable('the database is unavailable; try again shortly');
}

export function databaseGate(db: Pick<Database, 'conn'>): RequestHandler {
  return (_req, _res, next) => next(databaseAway(db));
}
