// A database that cannot be reached right now (stopped, restarting, the network between): the
// driver's connection errors, its server selection giving up, a server saying it is shutting
// down. Neither the request's fault nor a bug: errors.ts answers them 503 `unavailable`, so that a
// client (or Twilio's fallback) tries again, instead of a 500 that says something broke.
import mongoose from 'mongoose';

const {
  MongoNetworkError,
  MongoServerSelectionError,
  MongoNotConnectedError,
  MongoTopologyClosedError,
  MongoServerError,
} = mongoose.mongo;

/** Server error codes that mean "not now": shutting down, interrupted at shutdown, not primary. */
const NOT_NOW = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/**
 * Whether the driver sees the database server now. Mongoose follows the driver's topology: a
 * stopped server is noticed at once, a returning one within a heartbeat (db/connection.ts).
 */
export function databaseReachable(conn: Pick<mongoose.Connection, 'readyState'>): boolean {
  return conn.readyState === mongoose.ConnectionStates.connected;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof mongoose.Error.MongooseServerSelectionError ||
    (err instanceof MongoServerError && typeof err.code === 'number' && NOT_NOW.has(err.code))
  );
}
