import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { connectDatabase, type Database } from './connection';
import { ensureIndexes } from './models';
import { freshDatabaseUri } from '../testing/harness';

// A database written by an earlier version, which could record a call's entry twice (a replayed
// webhook): this version's unique index cannot be built over it, so the start would fail.
let db: Database;

beforeAll(async () => {
  db = await connectDatabase(freshDatabaseUri());
});

afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

describe('starting on a database of an earlier version', () => {
  it('keeps one entry per call (the one the call points at) and then builds the unique index', async () => {
    const interactions = db.models.Interaction.collection;
    const at = new Date('2026-11-20T09:00:00Z');
    const entry = (callId: string, summary: string) => ({
      _id: new Types.ObjectId(),
      type: 'call',
      direction: 'inbound',
      callId,
      at,
      summary,
    });
    const [first, second, third] = [entry('CA1', 'first'), entry('CA1', 'second'), entry('CA1', 'third')];
    const single = entry('CA2', 'only');
    const note = { _id: new Types.ObjectId(), type: 'note', at, summary: 'a note' };
    await interactions.insertMany([first, second, third, single, note]);
    await db.models.Call.collection.insertOne({ _id: 'CA1' as never, interactionId: second._id, state: 'ended' });

    await ensureIndexes(db.models);

    const left = await db.models.Interaction.find({}, { summary: 1 }).sort({ summary: 1 }).lean();
    expect(left.map((i) => i.summary)).toEqual(['a note', 'only', 'second']);
    const names = (await interactions.indexes()).map((i) => i.name);
    expect(names).toContain('one_entry_per_call');
    await expect(interactions.insertOne(entry('CA2', 'again'))).rejects.toMatchObject({ code: 11000 });
    // A second start finds the index and changes nothing.
    await ensureIndexes(db.models);
    expect(await db.models.Interaction.countDocuments({})).toBe(3);
  });
});
