// Database fact: concurrent identical `findOneAndUpdate(..., {upsert: true})`.
//
// K writers at once upsert the same key, N rounds, with the plain MongoDB driver. For every
// answer of `null` (which MongoDB never gives to an upsert with returnDocument 'after') it
// tells what the database did: whether a second document was inserted, and whether the
// writer that got `null` had its update applied at all. Each writer `$inc`s `writes` and
// `$setOnInsert`s `createdBy`, so the documents left after a round say who inserted and how
// many of the K updates took effect.
//
//   npx tsx scripts/db-facts/upsert-race.ts [--rounds 300] [--concurrency 2,4,8]
//
// Starts its own embedded database (server/src/db/embedded-db.mjs) in a temporary directory, or
// uses MONGODB_URI. Cases: a plain key, Agenda's unique-job query (`lockedAt: null`,
// `nextRunAt: {$ne: null}` next to the key) and Agenda's `every` query (name + type), each
// without and with a unique index on the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startDatabase } from '../../server/src/db/embedded-db.mjs';

const { MongoClient } = mongoose.mongo;
type Db = mongoose.mongo.Db;
type Filter = mongoose.mongo.Filter<mongoose.mongo.Document>;

interface Shape {
  name: string;
  /** The query of the upsert for a key. */
  query(key: string): Filter;
  /** The field a unique index goes on. */
  indexKey: string;
}

const shapes: Shape[] = [
  { name: 'plain {key}', query: (key) => ({ key }), indexKey: 'key' },
  {
    name: 'unique job {name, data.customerId, lockedAt: null, nextRunAt: {$ne: null}}',
    query: (key) => ({
      name: 'suggestions:customer',
      'data.customerId': key,
      lockedAt: null,
      nextRunAt: { $ne: null },
    }),
    indexKey: 'data.customerId',
  },
  { name: 'every {name, type: single}', query: (key) => ({ name: key, type: 'single' }), indexKey: 'name' },
];

interface Tally {
  rounds: number;
  answers: number;
  nulls: number;
  roundsWithNull: number;
  /** Rounds that left more than one document for the key. */
  duplicates: number;
  /** Rounds where fewer than K updates took effect (a writer's update was dropped). */
  lostWrites: number;
  /** Rounds with a null where every update took effect and one document exists. */
  nullButApplied: number;
  /** Rounds with a null where the null-answering writer's update is missing. */
  nullAndNotApplied: number;
  /** A second look (findOne with the same query) right after a null answer found the document. */
  rereadFound: number;
  errors: Map<string, number>;
  /** What the reply's lastErrorObject said next to a null value. */
  nullStatus: Map<string, number>;
}

async function runCase(db: Db, shape: Shape, unique: boolean, concurrency: number, rounds: number): Promise<Tally> {
  const coll = db.collection(`race_${Math.random().toString(36).slice(2, 10)}`);
  await coll.createIndex({ [shape.indexKey]: 1 }, unique ? { unique: true } : {});
  const tally: Tally = {
    rounds,
    answers: 0,
    nulls: 0,
    roundsWithNull: 0,
    duplicates: 0,
    lostWrites: 0,
    nullButApplied: 0,
    nullAndNotApplied: 0,
    rereadFound: 0,
    errors: new Map(),
    nullStatus: new Map(),
  };
  for (let round = 0; round < rounds; round++) {
    const key = `k${round.toString().padStart(6, '0')}`;
    const query = shape.query(key);
    const nullWriters: number[] = [];
    const rereads: Promise<unknown>[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async (_, writer) => {
        try {
          const answer = await coll.findOneAndUpdate(
            query,
            {
              $set: { touchedBy: writer, touchedAt: new Date(), nextRunAt: new Date(Date.now() + 60_000) },
              $setOnInsert: { createdBy: writer },
              $inc: { writes: 1 },
            },
            { upsert: true, returnDocument: 'after', includeResultMetadata: true },
          );
          tally.answers++;
          if (answer.value === null) {
            nullWriters.push(writer);
            const status = JSON.stringify(answer.lastErrorObject ?? null);
            tally.nullStatus.set(status, (tally.nullStatus.get(status) ?? 0) + 1);
            rereads.push(coll.findOne(query).then((again) => again !== null && tally.rereadFound++));
          }
        } catch (err) {
          const code = (err as { code?: number }).code;
          const label = code === 11000 ? 'E11000 duplicate key' : String((err as Error).message).slice(0, 80);
          tally.errors.set(label, (tally.errors.get(label) ?? 0) + 1);
        }
      }),
    );
    await Promise.all(rereads);
    const docs = await coll.find({ [shape.indexKey]: key }).toArray();
    const applied = docs.reduce((sum, d) => sum + (typeof d.writes === 'number' ? d.writes : 0), 0);
    if (docs.length > 1) tally.duplicates++;
    if (applied < concurrency) tally.lostWrites++;
    if (nullWriters.length > 0) {
      tally.nulls += nullWriters.length;
      tally.roundsWithNull++;
      if (docs.length === 1 && applied === concurrency) tally.nullButApplied++;
      else if (applied < concurrency) tally.nullAndNotApplied++;
    }
  }
  await coll.drop();
  return tally;
}

function pct(n: number, of: number): string {
  return of === 0 ? '0' : ((100 * n) / of).toFixed(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '2,4,8' } },
  });
  const rounds = Number(values.rounds);
  const levels = values.concurrency.split(',').map(Number);
  if (!Number.isInteger(rounds) || rounds < 1 || levels.some((k) => !Number.isInteger(k) || k < 2)) {
    console.error('usage: upsert-race.ts [--rounds N ≥ 1] [--concurrency K,… each ≥ 2]');
    process.exit(2);
  }

  const dir = mkdtempSync(join(tmpdir(), 'ringside-upsert-race-'));
  const database = await startDatabase({ dataDir: dir, dbName: 'ringside_upsert_race', logFileMax: '16MB' });
  const client = await MongoClient.connect(database.uri);
  try {
    const db = client.db();
    console.log(`database: ${database.kind} (${database.uri.replace(/\/\/[^@]*@/, '//')})`);
    console.log(
      `${rounds} rounds per case; in each, K concurrent identical findOneAndUpdate(query, {$set, $setOnInsert, $inc}, {upsert: true, returnDocument: 'after'})\n`,
    );
    for (const shape of shapes) {
      for (const unique of [false, true]) {
        for (const k of levels) {
          const t = await runCase(db, shape, unique, k, rounds);
          const errors = [...t.errors].map(([m, n]) => `${n}× ${m}`).join('; ') || 'none';
          const replies = [...t.nullStatus].map(([m, n]) => `${n}× ${m}`).join('; ') || '-';
          console.log(
            `${shape.name}, ${unique ? 'unique index' : 'plain index'}, K=${k}: ` +
              `null ${t.nulls}/${t.answers} answers (${pct(t.roundsWithNull, rounds)} % of rounds); ` +
              `duplicates ${t.duplicates}; rounds with a dropped update ${t.lostWrites}; ` +
              `null but applied ${t.nullButApplied}, null and not applied ${t.nullAndNotApplied}; ` +
              `re-read after null found it ${t.rereadFound}/${t.nulls}; lastErrorObject with the nulls: ${replies}; errors: ${errors}`,
          );
        }
      }
    }
  } finally {
    await client.close();
    await database.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
