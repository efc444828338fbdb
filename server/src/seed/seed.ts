import { z } from 'zod';
import type { Models } from '../db/models';
import { upsertWrite } from '../db/upsert';
import { hashPassword } from '../auth/auth.service';
import { generateActivity } from './activity';
import { catalogProducts } from './catalog';
import type { SeedContext } from './context';
import { customerDocument, draftCustomer } from './customers';
import { generateHistory } from './history';
import { customerOutcome } from './labels';
import { BatchWriter } from './writer';

export interface SeedOptions {
  customers: number;
  /** Same seed, same documents (and _ids): a uint32. */
  seed: number;
  /**
   * The reference "today" the data is anchored to (orders in the three years before it, invoices
   * overdue relative to it). Default DEFAULT_SEED_NOW, a fixed date, so output never depends on
   * the clock; pass the current date to get data that looks current. _ids and numbers do not
   * depend on it, so re-seeding with another date still finds the earlier documents.
   */
  now?: Date;
  /** Documents per insertMany (default 10,000). */
  batchSize?: number;
  /** insertMany calls in flight at once (default 2): the database writes while the generator fills the next batches. */
  batchesInFlight?: number;
  /** Called with customers generated so far; at the end with (total, total) once everything is written. */
  onProgress?: (done: number, total: number) => void;
}
export interface SeedReport {
  customers: number;
  products: number;
  orders: number;
  invoices: number;
  payments: number;
  interactions: number;
  cases: number;
  /** Documents written by this run. */
  inserted: number;
  /** Documents that were already there (same seed seeded before) and were left as they were. */
  existing: number;
  ms: number;
}

/** The default reference date of seeded data. */
export const DEFAULT_SEED_NOW = new Date('2026-11-01T00:00:00Z');

export const DEMO_PASSWORD = 'ringside';

/** The demo users (agent1…agent5, supervisor, legal, admin), password `ringside`; idempotent. */
export async function seedDemoUsers(models: Models): Promise<void> {
  // A published password must never reach a production user table.
  if (process.env.NODE_ENV === 'production') throw new Error('refusing to create demo users with NODE_ENV=production');
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const users = [
    ...[1, 2, 3, 4, 5].map((n) => ({
      email: `agent${n}@ringside.test`,
      name: `Agent ${n}`,
      roles: ['agent'],
      skills: n <= 3 ? ['sales', 'support'] : ['collections', 'support'],
      endpoints: { twilio: `client:agent${n}`, asterisk: `Local/100${n}@agents` },
    })),
    { email: 'supervisor@ringside.test', name: 'Supervisor', roles: ['supervisor'], skills: [], endpoints: {} },
    { email: 'legal@ringside.test', name: 'Legal', roles: ['legal'], skills: [], endpoints: {} },
    { email: 'admin@ringside.test', name: 'Admin', roles: ['admin'], skills: [], endpoints: {} },
  ];
  await upsertWrite(() =>
    models.User.bulkWrite(
      users.map((u) => ({
        updateOne: {
          filter: { email: u.email },
          update: {
            $setOnInsert: { ...u, passwordHash, active: true, state: { status: 'offline', since: new Date() } },
          },
          upsert: true,
        },
      })),
    ),
  );
}

const optionsSchema = z.object({
  customers: z.number().int().min(0).max(50_000_000),
  seed: z.number().int().min(0).max(0xffff_ffff),
  now: z.date().refine((d) => !Number.isNaN(d.getTime()), { error: 'must be a valid date' }),
  batchSize: z.number().int().min(1).max(100_000),
  batchesInFlight: z.number().int().min(1).max(64),
});

/**
 * Deterministic, realistic demo data: customers (persons and companies in PL, HR, HU, GR),
 * the product catalogue, orders with planted complementary purchases, invoices, payments,
 * interactions and cases. Streams in batches, so a million customers fit in bounded memory.
 * Indexes must exist first (ensureIndexes): building them over loaded data is far slower.
 */
export async function seedDatabase(models: Models, opts: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const parsed = optionsSchema.safeParse({
    ...opts,
    now: opts.now ?? DEFAULT_SEED_NOW,
    batchSize: opts.batchSize ?? 10_000,
    batchesInFlight: opts.batchesInFlight ?? 2,
  });
  if (!parsed.success) throw new RangeError(`seedDatabase: ${z.prettifyError(parsed.error)}`);
  const { customers: total, seed, now, batchSize, batchesInFlight } = parsed.data;

  const agents = await models.User.find({ roles: 'agent' }, { _id: 1, name: 1 }).sort({ email: 1 }).lean();
  const ctx: SeedContext = {
    seed,
    now: now.getTime(),
    agents: agents.map((a) => ({ _id: a._id, name: a.name })),
    counters: { orders: 0, invoices: 0, payments: 0, interactions: 0, cases: 0 },
  };
  const writer = new BatchWriter(batchSize, batchesInFlight);
  const products = catalogProducts();
  writer.add(models.Product.collection, products);

  for (let index = 0; index < total; index++) {
    const draft = draftCustomer(ctx, index);
    const history = generateHistory(ctx, draft);
    const activity = generateActivity(ctx, draft, history);
    writer.add(models.Customer.collection, [customerDocument(draft, customerOutcome(ctx, draft, history, activity))]);
    writer.add(models.Order.collection, history.orders);
    writer.add(models.Invoice.collection, history.invoices);
    writer.add(models.Payment.collection, history.payments);
    writer.add(models.Interaction.collection, activity.interactions);
    writer.add(models.Case.collection, activity.cases);
    if (index % 200 === 199) {
      await writer.settle();
      if (index % 1000 === 999) opts.onProgress?.(index + 1, total);
    }
  }
  await writer.finish();
  opts.onProgress?.(total, total);

  return {
    customers: total,
    products: products.length,
    orders: ctx.counters.orders,
    invoices: ctx.counters.invoices,
    payments: ctx.counters.payments,
    interactions: ctx.counters.interactions,
    cases: ctx.counters.cases,
    inserted: writer.counts.inserted,
    existing: writer.counts.existing,
    ms: Math.round(performance.now() - started),
  };
}
