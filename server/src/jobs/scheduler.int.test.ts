import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import type { Agenda } from 'agenda';
import { freshDatabase } from '../testing/harness';
import { ManualClock } from '../clock';
import { createLogger } from '../logger';
import { DEFAULT_SEED_NOW, seedDatabase } from '../seed/seed';
import { catalogItem } from '../seed/catalog';
import { DAY_MS } from '../suggestions/history';
import { SUGGESTIONS_CUSTOMER, SUGGESTIONS_FULL } from '../suggestions/suggestions.jobs';
import { createScheduler, type Scheduler } from './scheduler';

// The suggestion jobs going through Agenda for real: its MongoDB backend, locks and polling.
let db: Awaited<ReturnType<typeof freshDatabase>>;
let scheduler: Scheduler;
const clock = new ManualClock(DEFAULT_SEED_NOW);
const failures: string[] = [];
const started: string[] = [];

/** Resolves on the next `complete:<name>` event (rejects after `ms`). */
function completed(agenda: Agenda, name: string, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not complete within ${ms} ms`)), ms);
    agenda.once(`complete:${name}`, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  await seedDatabase(db.models, { customers: 300, seed: 5, now: DEFAULT_SEED_NOW });
  scheduler = createScheduler(
    { db, logger: createLogger('silent'), clock },
    {
      processEvery: 100,
      suggestions: { customerDebounceMs: 400, service: { learn: { minCount: 5, minSupport: 0 } } },
    },
  );
  scheduler.agenda.on('fail', (err: Error | string) => failures.push(String(err)));
  scheduler.agenda.on(`start:${SUGGESTIONS_CUSTOMER}`, (job: { attrs: { data: unknown } } | { jobId: string }) =>
    started.push(JSON.stringify('attrs' in job ? job.attrs.data : job.jobId)),
  );
  await scheduler.start();
});

afterAll(async () => {
  await scheduler?.stop();
  await db?.drop();
});

describe('scheduler (Agenda 6, MongoDB backend)', () => {
  it('puts the nightly full run on the schedule once', async () => {
    await scheduler.start(); // idempotent
    const jobs = await db.conn.collection('agendaJobs').find({ name: SUGGESTIONS_FULL }).toArray();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ type: 'single', repeatInterval: '0 3 * * *', repeatTimezone: 'UTC' });
    const next = jobs[0]!.nextRunAt as Date;
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 0]);
  });

  it('runs the full suggestions job through Agenda', async () => {
    const done = completed(scheduler.agenda, SUGGESTIONS_FULL, 40_000);
    await scheduler.suggestions.runFullNow();
    await done;
    expect(failures).toEqual([]);
    const rules = await scheduler.suggestions.service.loadRules(['MOW-PETROL-46']);
    expect(rules.get('MOW-PETROL-46')?.rules.map((r) => r.sku)).toContain('BLADE-46');
    expect(await db.models.CustomerSuggestions.countDocuments({ computedAt: clock.now() })).toBeGreaterThan(100);
  });

  it('recomputes a customer once for a burst of orders', async () => {
    clock.advance(60_000);
    const customerId = new Types.ObjectId();
    const placedAt = new Date(clock.now().getTime() - 213 * DAY_MS);
    const mower = catalogItem('MOW-PETROL-46');
    await db.models.Order.create({
      customerId,
      number: 'T-AGENDA-1',
      placedAt,
      currency: 'EUR',
      lines: [{ sku: mower.sku, name: mower.name, quantity: 1, unitPrice: mower.price }],
      total: mower.price,
    });
    const done = completed(scheduler.agenda, SUGGESTIONS_CUSTOMER);
    await Promise.all([
      scheduler.suggestions.enqueueCustomerRecompute(customerId),
      scheduler.suggestions.enqueueCustomerRecompute(customerId.toHexString()),
    ]);
    await scheduler.suggestions.enqueueCustomerRecompute(customerId);
    await done;
    // Give a second (wrongly queued) run time to show up.
    await new Promise((r) => setTimeout(r, 800));
    expect(started).toEqual([JSON.stringify({ customerId: customerId.toHexString() })]);
    expect(failures).toEqual([]);
    const doc = await db.models.CustomerSuggestions.findById(customerId).lean();
    expect(doc?.computedAt).toEqual(clock.now());
    expect(doc?.items.find((i) => i.sku === 'BLADE-46')?.reason).toMatch(
      /^Bought Petrol lawn mower 46 cm 7 months ago;/,
    );
    // Completed one-off jobs are removed.
    expect(await db.conn.collection('agendaJobs').countDocuments({ name: SUGGESTIONS_CUSTOMER })).toBe(0);
  });

  it('refuses an enqueue that is not a customer id', async () => {
    await expect(scheduler.suggestions.enqueueCustomerRecompute('not-an-id')).rejects.toThrow(/not a customer id/);
  });
});
