import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../testing/harness';
import { systemClock } from '../clock';
import { createLogger } from '../logger';
import type { Database } from '../db/connection';
import { CallPathHealth } from '../metrics/call-path-health';
import { Pacer, publishCallPath } from './pacer';

// The jobs hold between batches while a web process's call path suffers, and go on when it recovers.
const logger = createLogger('silent');
let db: Database & { drop(): Promise<void> };

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db.drop();
});

const settled = async (p: Promise<unknown>) =>
  Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);

const status = (popP95Ms: number | null, loopLagMs: number, at = systemClock.now()) =>
  db.models.CallPathStatus.updateOne(
    { _id: 'web:1' },
    { $set: { at, popP95Ms, loopLagMs, pops: 10 } },
    { upsert: true },
  );

describe('Pacer', () => {
  const pacer = () =>
    new Pacer(
      { models: db.models, clock: systemClock, logger },
      { batchPauseMs: 0, checkEveryMs: 20, maxHoldMs: 60_000 },
    );

  it('lets a batch go at once while the call path is well', async () => {
    await status(12, 3);
    expect(await settled(pacer().pace())).toBe(true);
  });

  it('holds while a pop p95 or the event loop lag is above the threshold, and goes on when it recovers', async () => {
    for (const [p95, lag] of [
      [250, 3],
      [10, 400],
    ] as const) {
      await status(p95, lag);
      const going = pacer().pace();
      expect(await settled(going)).toBe(false);
      await status(10, 3);
      expect(await settled(going)).toBe(true);
    }
  });

  it('leaves the database alone after each batch as long as the batch used it (work share 0.5)', async () => {
    await status(12, 3);
    const shared = new Pacer({ models: db.models, clock: systemClock, logger }, { batchPauseMs: 0, workShare: 0.5 });
    await shared.pace(); // the job begins: no batch done yet, no pause
    await new Promise((r) => setTimeout(r, 400)); // a batch of 400 ms
    const paused = performance.now();
    await shared.pace();
    expect(performance.now() - paused).toBeGreaterThanOrEqual(350);
    await new Promise((r) => setTimeout(r, 6000)); // idle longer than any batch: no pause owed
    expect(await settled(shared.pace())).toBe(true);
  }, 15_000);

  it('owes the rest after one job’s batch to every job: another job’s asks do not wipe it out', async () => {
    await status(12, 3);
    const shared = new Pacer({ models: db.models, clock: systemClock, logger }, { batchPauseMs: 0, workShare: 0.5 });
    const scan = shared.lane();
    const learning = shared.lane();
    await scan(); // both jobs begin a batch
    await learning();
    await new Promise((r) => setTimeout(r, 400));
    await learning(); // the learning's batch ends (it rests, then begins the next)
    const paused = performance.now();
    await scan(); // the scan's batch of 800 ms ends: its rest is owed all the same
    expect(performance.now() - paused).toBeGreaterThanOrEqual(350);
  }, 15_000);

  it('pays no heed to a process whose word is stale (it stopped)', async () => {
    await status(900, 900, new Date(systemClock.now().getTime() - 60_000));
    expect(await settled(pacer().pace())).toBe(true);
  });

  it('holds no longer than its limit', async () => {
    await status(900, 3);
    const p = new Pacer(
      { models: db.models, clock: systemClock, logger },
      { batchPauseMs: 0, checkEveryMs: 20, maxHoldMs: 100 },
    );
    expect(await settled(p.pace())).toBe(true);
  });
});

describe('publishCallPath', () => {
  it('writes this process’s pop p95 and loop lag for the jobs to read', async () => {
    const health = new CallPathHealth();
    health.start();
    for (const ms of [5, 6, 7, 80]) health.popAcknowledged(ms);
    const pub = publishCallPath({ models: db.models, clock: systemClock, logger, health, name: 'web:2' }, 50);
    await new Promise((r) => setTimeout(r, 200));
    await pub.stop();
    health.stop();
    const doc = await db.models.CallPathStatus.findById('web:2').lean();
    expect(doc).toMatchObject({ popP95Ms: 80, pops: 4 });
    expect(typeof doc?.loopLagMs).toBe('number');
  });
});
