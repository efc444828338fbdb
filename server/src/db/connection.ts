import mongoose, { type Connection } from 'mongoose';
import { registerModels, type Models } from './models';

export interface Database {
  conn: Connection;
  models: Models;
  /** True when the server answers a ping within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function connectDatabase(
  uri: string,
  options: { serverSelectionTimeoutMS?: number } = {},
): Promise<Database> {
  const conn = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Fail fast instead of queueing operations forever while the server is away.
    bufferCommands: false,
    // A server that is back is seen within 2 s (the default 10 s kept every request refused that
    // long after a database restart: http/database-gate.ts refuses while the server is not seen).
    heartbeatFrequencyMS: 2000,
    autoIndex: false,
  });
  await conn.asPromise();
  const models = registerModels(conn);
  return {
    conn,
    models,
    async ping(timeoutMs = 1500) {
      const db = conn.db;
      if (!db) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          db.command({ ping: 1 }, { timeoutMS: timeoutMs }).then((r) => r.ok === 1),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await conn.close();
    },
  };
}
