// Streams generated documents into their collections in batches, a bounded number of batches in
// flight, so generation of the next batch overlaps with the database writing the last one and
// memory stays flat whatever the customer count.
import { mongo } from 'mongoose';

const DUPLICATE_KEY = 11000;

/** The part of a native collection the writer needs. */
export interface InsertTarget<T> {
  collectionName: string;
  insertMany(docs: T[], options: { ordered: false }): Promise<{ insertedCount: number }>;
}

export interface WriteCounts {
  inserted: number;
  /** Documents that were already there (duplicate key): a re-run of the same seed. */
  existing: number;
}

/**
 * insertMany, unordered, treating duplicate keys as "already there". Anything else (a validation
 * error, a write concern error, a lost connection) is rethrown.
 */
export async function insertIgnoringDuplicates<T>(target: InsertTarget<T>, docs: T[]): Promise<WriteCounts> {
  if (docs.length === 0) return { inserted: 0, existing: 0 };
  try {
    const result = await target.insertMany(docs, { ordered: false });
    return { inserted: result.insertedCount, existing: 0 };
  } catch (err) {
    if (!(err instanceof mongo.MongoBulkWriteError)) throw err;
    const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    const other = writeErrors.find((e) => e.code !== DUPLICATE_KEY);
    if (other || writeErrors.length === 0 || err.result.getWriteConcernError()) throw err;
    return { inserted: err.insertedCount, existing: writeErrors.length };
  }
}

export class BatchWriter {
  private readonly buffers = new Map<InsertTarget<unknown>, unknown[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  readonly counts: WriteCounts = { inserted: 0, existing: 0 };

  constructor(
    private readonly batchSize: number,
    private readonly maxInFlight: number,
  ) {}

  add<T>(target: InsertTarget<T>, docs: readonly T[]): void {
    if (docs.length === 0) return;
    const key = target as InsertTarget<unknown>;
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = [];
      this.buffers.set(key, buffer);
    }
    for (const doc of docs) buffer.push(doc);
    if (buffer.length >= this.batchSize) this.flush(key);
  }

  private flush(target: InsertTarget<unknown>): void {
    const docs = this.buffers.get(target);
    if (!docs || docs.length === 0) return;
    this.buffers.set(target, []);
    // Handled here and rethrown from the next await point, so a failing batch never becomes an
    // unhandled rejection while generation runs.
    const write: Promise<void> = insertIgnoringDuplicates(target, docs).then(
      (counts) => {
        this.counts.inserted += counts.inserted;
        this.counts.existing += counts.existing;
      },
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    const tracked = write.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits while too many batches are in flight (back-pressure for the generator). */
  async settle(): Promise<void> {
    this.rethrow();
    while (this.inFlight.size >= this.maxInFlight) {
      await Promise.race(this.inFlight);
      this.rethrow();
    }
  }

  /** Writes what is buffered and waits for everything in flight. */
  async finish(): Promise<void> {
    for (const target of [...this.buffers.keys()]) this.flush(target);
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.rethrow();
  }
}
