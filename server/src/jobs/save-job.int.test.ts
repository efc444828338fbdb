import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Types, type mongo } from 'mongoose';
import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import { freshDatabase } from '../testing/harness';
import { systemClock } from '../clock';
import { createLogger } from '../logger';
import { SuggestionsService } from '../suggestions/suggestions.service';
import { defineSuggestionJobs, SUGGESTIONS_CUSTOMER, SUGGESTIONS_FULL } from '../suggestions/suggestions.jobs';
import { defineDunningJobs, DUNNING_SCAN } from '../dunning/dunning.jobs';
import { defineCallbackJobs, CALLBACKS_DUE } from '../callbacks/callbacks.jobs';
import { NULL_ANSWER_MESSAGES, saveJob } from './save-job';

// Agenda's MongoDB backend on a database handle that, when armed, answers the next upsert the
// way the embedded database does under identical upserts at once: the upsert takes effect
// (there is one document, with this update applied) and the answer is `null`.
let db: Awaited<ReturnType<typeof freshDatabase>>;
let agenda: Agenda;
let racesLeft = 0;
let racesSeen = 0;
/** Lock the matched job just before the next plain update (as a processor taking it would). */
let lockBeforeUpdate = false;
const COLLECTION = 'agendaJobs';
const logger = createLogger('silent');

function racingDb(real: mongo.Db): mongo.Db {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'collection') return Reflect.get(target, prop, receiver);
      return (name: string, options?: mongo.CollectionOptions) => {
        const coll = target.collection(name, options);
        return new Proxy(coll, {
          get(c, p, r) {
            if (p !== 'findOneAndUpdate') return Reflect.get(c, p, r);
            return async (
              filter: mongo.Filter<mongo.Document>,
              update: mongo.UpdateFilter<mongo.Document>,
              opts: mongo.FindOneAndUpdateOptions = {},
            ) => {
              if (racesLeft > 0 && opts.upsert) {
                racesLeft--;
                racesSeen++;
                // Applied, and answered null.
                await c.findOneAndUpdate(filter, update, opts);
                return null;
              }
              if (lockBeforeUpdate && !opts.upsert) {
                lockBeforeUpdate = false;
                racesSeen++;
                await c.updateOne(filter, { $set: { lockedAt: new Date() } });
              }
              return c.findOneAndUpdate(filter, update, opts);
            };
          },
        });
      };
    },
  });
}

const jobs = (name: string) => db.conn.collection(COLLECTION).find({ name }).toArray();

beforeAll(async () => {
  db = await freshDatabase();
  const real = db.conn.db;
  if (!real) throw new Error('the test database is not open');
  agenda = new Agenda({
    backend: new MongoBackend({ mongo: racingDb(real), collection: COLLECTION }),
    processEvery: 60_000,
  });
  await agenda.ready;
});

afterEach(async () => {
  racesLeft = 0;
  lockBeforeUpdate = false;
  racesSeen = 0;
  await db.conn.collection(COLLECTION).deleteMany({});
});

afterAll(async () => {
  await agenda?.stop();
  await db?.drop();
});

describe('saveJob (a save the database answered null)', () => {
  it('is the failure the installed backend reports, word for word', async () => {
    agenda.define('plain', async () => {});
    racesLeft = 1;
    const save = agenda.create('plain', { k: 1 }).unique({ 'data.k': 1 }).save();
    await expect(save).rejects.toMatchObject({ name: 'AssertionError', message: NULL_ANSWER_MESSAGES[0] });
    expect(await jobs('plain')).toHaveLength(1);
  });

  it('saves again and leaves exactly one unique job', async () => {
    racesLeft = 1;
    const job = await saveJob(() => agenda.create('plain', { k: 2 }).unique({ 'data.k': 2 }).save());
    expect(racesSeen).toBe(1);
    const stored = await jobs('plain');
    expect(stored).toHaveLength(1);
    expect(job.attrs._id?.toString()).toBe(stored[0]!._id.toString());
  });

  it('a debounced job locked between look-up and update: the second save queues a job of its own', async () => {
    const save = () => agenda.create('plain', { k: 4 }).unique({ 'data.k': 4, lockedAt: null }).debounce(1000).save();
    await save();
    lockBeforeUpdate = true;
    await expect(save()).rejects.toMatchObject({ name: 'AssertionError', message: NULL_ANSWER_MESSAGES[1] });
    await save(); // a pending job again
    lockBeforeUpdate = true;
    await saveJob(save);
    expect(lockBeforeUpdate).toBe(false);
    expect(racesSeen).toBe(2);
    const stored = await jobs('plain');
    expect(stored.map((j) => j.lockedAt === null).sort()).toEqual([false, false, true]);
  });

  it('gives up after its attempts and passes the failure on', async () => {
    racesLeft = 10;
    await expect(
      saveJob(() => agenda.create('plain', { k: 3 }).unique({ 'data.k': 3 }).save(), { attempts: 2 }),
    ).rejects.toThrow(NULL_ANSWER_MESSAGES[0]);
    expect(racesSeen).toBe(2);
  });

  it('leaves other failures alone (no retry)', async () => {
    let calls = 0;
    const fail = () => {
      calls++;
      return Promise.reject(new Error(NULL_ANSWER_MESSAGES[0]));
    };
    await expect(saveJob(fail)).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe('the enqueue and schedule call sites under a racing upsert', () => {
  it('a debounced customer recompute is one job', async () => {
    const service = new SuggestionsService({ models: db.models, clock: systemClock, logger });
    const suggestions = defineSuggestionJobs(agenda, { service, logger, signal: new AbortController().signal });
    const customerId = new Types.ObjectId();
    racesLeft = 1;
    await suggestions.enqueueCustomerRecompute(customerId);
    await suggestions.enqueueCustomerRecompute(customerId);
    expect(racesSeen).toBe(1);
    const stored = await jobs(SUGGESTIONS_CUSTOMER);
    expect(stored.map((j) => j.data)).toEqual([{ customerId: customerId.toHexString() }]);
  });

  it('the nightly suggestions run, the dunning scan and the callbacks job are one job each', async () => {
    const service = new SuggestionsService({ models: db.models, clock: systemClock, logger });
    const signal = new AbortController().signal;
    const scheduled = [
      defineSuggestionJobs(agenda, { service, logger, signal }),
      defineDunningJobs(agenda, { logger, signal }),
      defineCallbackJobs(agenda, { logger }),
    ];
    for (const s of scheduled) {
      racesLeft = 1;
      await s.schedule();
      await s.schedule();
    }
    expect(racesSeen).toBe(3);
    for (const name of [SUGGESTIONS_FULL, DUNNING_SCAN, CALLBACKS_DUE]) {
      expect((await jobs(name)).map((j) => j.type)).toEqual(['single']);
    }
  });
});
