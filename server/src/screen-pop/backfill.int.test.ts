import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../testing/harness';
import { seedDatabase, seedDemoUsers } from '../seed/seed';
import { systemClock } from '../clock';
import type { Database } from '../db/connection';
import type { CustomerDoc } from '../calls/caller-resolution';
import { readCustomerPop } from './pop-part';
import { readSummary } from './summary-store';
import { backfillPopSummaries } from './summaries';

let db: Database & { drop(): Promise<void> };

beforeAll(async () => {
  db = await freshDatabase();
  await seedDemoUsers(db.models);
  // Seeded customers carry orders, invoices, payments, interactions and cases, as the benchmarks' do.
  await seedDatabase(db.models, { customers: 300, seed: 7 });
}, 120_000);

afterAll(async () => {
  await db.drop();
});

async function everyCustomer(): Promise<CustomerDoc[]> {
  return db.models.Customer.find({}, { nameKeys: 0 }).lean<CustomerDoc[]>();
}

describe('the backfill (one range read per collection for a batch)', () => {
  it('writes for every customer the summary the full build of that customer makes', async () => {
    // Small batches: many ranges, customers of one range spread over several reads' groups.
    expect(await backfillPopSummaries({ models: db.models, clock: systemClock }, { batch: 16 })).toEqual({
      customers: 300,
      written: 300,
    });
    const customers = await everyCustomer();
    let withHistory = 0;
    for (const customer of customers) {
      const [stored, built] = await Promise.all([
        readSummary(db.models, customer),
        readCustomerPop(db.models, customer),
      ]);
      expect(stored?.facts, customer.name).toEqual(built);
      if (built.part.recentPurchases.length > 0 && built.part.lastInteractions.length > 0) withHistory++;
    }
    // The check means something only if the seed gave customers a history to summarise.
    expect(withHistory).toBeGreaterThan(100);
  });

  it('leaves summaries alone when run again, and rewrites them all with rebuild', async () => {
    expect(await backfillPopSummaries({ models: db.models, clock: systemClock })).toEqual({
      customers: 300,
      written: 0,
    });
    const before = await db.models.PopSummary.find({}, { rev: 1 }).lean();
    expect(await backfillPopSummaries({ models: db.models, clock: systemClock }, { batch: 50, rebuild: true })).toEqual(
      { customers: 300, written: 300 },
    );
    const after = new Map(
      (await db.models.PopSummary.find({}, { rev: 1 }).lean()).map((s) => [s._id.toHexString(), s.rev]),
    );
    for (const s of before) expect(after.get(s._id.toHexString())).toBe(s.rev + 1);
  });
});
