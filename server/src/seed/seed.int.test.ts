import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongo } from 'mongoose';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { nameKeys, normalizePhone, type CountryCode } from '@ringside/shared';
import { freshDatabase } from '../testing/harness';
import type { Customer } from '../db/schemas/customer.model';
import type { Order } from '../db/schemas/order.model';
import type { Invoice } from '../db/schemas/invoice.model';
import type { Payment } from '../db/schemas/payment.model';
import type { Models } from '../db/models';
import { DEFAULT_SEED_NOW, seedDatabase, seedDemoUsers, type SeedReport } from './seed';
import { isValidCreditorReference } from './ids';
import { insertIgnoringDuplicates } from './writer';

type TestDb = Awaited<ReturnType<typeof freshDatabase>>;

const CUSTOMERS = 300;
const DAY = 86_400_000;
const COLLECTIONS = ['customers', 'products', 'orders', 'invoices', 'payments', 'interactions', 'cases'] as const;

/** Every seeded collection, sorted by _id, as canonical Extended JSON (types and all). */
async function snapshot(db: TestDb): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of COLLECTIONS) {
    const docs = await db.conn.collection(name).find().sort({ _id: 1 }).toArray();
    out[name] = mongo.BSON.EJSON.stringify(docs, { relaxed: false });
  }
  return out;
}

async function counts(db: TestDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of COLLECTIONS) out[name] = await db.conn.collection(name).countDocuments();
  return out;
}

const lean = <T>(model: Models[keyof Models], filter: Record<string, unknown> = {}) =>
  (model as unknown as { find(f: Record<string, unknown>): { lean(): Promise<T[]> } }).find(filter).lean();

let db: TestDb;
let first: SeedReport;
let second: SeedReport;
let afterFirst: Record<string, string>;
let customers: Customer[];
let orders: Order[];
let invoices: Invoice[];
let payments: Payment[];
const extra: TestDb[] = [];

async function another(): Promise<TestDb> {
  const d = await freshDatabase();
  extra.push(d);
  return d;
}

beforeAll(async () => {
  db = await freshDatabase();
  first = await seedDatabase(db.models, { customers: CUSTOMERS, seed: 1 });
  afterFirst = await snapshot(db);
  second = await seedDatabase(db.models, { customers: CUSTOMERS, seed: 1 });
  customers = await lean<Customer>(db.models.Customer);
  orders = await lean<Order>(db.models.Order);
  invoices = await lean<Invoice>(db.models.Invoice);
  payments = await lean<Payment>(db.models.Payment);
});

afterAll(async () => {
  await Promise.all([db, ...extra].map((d) => d?.drop()));
});

describe('seedDatabase: determinism and dedupe', () => {
  it('writes what it reports, and a second run with the same seed adds nothing and changes nothing', async () => {
    expect(first.customers).toBe(CUSTOMERS);
    expect(first.orders).toBeGreaterThan(CUSTOMERS * 3);
    expect(first.existing).toBe(0);
    const total =
      first.products +
      first.customers +
      first.orders +
      first.invoices +
      first.payments +
      first.interactions +
      first.cases;
    expect(first.inserted).toBe(total);
    expect(second.inserted).toBe(0);
    expect(second.existing).toBe(total);
    expect(await counts(db)).toEqual({
      customers: first.customers,
      products: first.products,
      orders: first.orders,
      invoices: first.invoices,
      payments: first.payments,
      interactions: first.interactions,
      cases: first.cases,
    });
    expect(await snapshot(db)).toEqual(afterFirst);
  });

  it('produces the same documents in another database, and resumes a partial run without duplicates', async () => {
    const other = await another();
    await seedDatabase(other.models, { customers: CUSTOMERS / 2, seed: 1, batchSize: 97 });
    const report = await seedDatabase(other.models, { customers: CUSTOMERS, seed: 1, batchSize: 1000 });
    expect(report.existing).toBeGreaterThan(0);
    expect(await snapshot(other)).toEqual(afterFirst);
  });

  it('gives different data for a different seed, and ids and numbers that do not collide', async () => {
    const other = await another();
    await seedDatabase(other.models, { customers: CUSTOMERS, seed: 2 });
    const theirs = await lean<Customer>(other.models.Customer);
    const ourIds = new Set(customers.map((c) => String(c._id)));
    expect(theirs.filter((c) => ourIds.has(String(c._id)))).toHaveLength(0);
    const ourNames = new Set(customers.map((c) => c.name));
    expect(theirs.filter((c) => ourNames.has(c.name)).length).toBeLessThan(CUSTOMERS / 10);
    const theirOrders = await lean<Order>(other.models.Order);
    const ourNumbers = new Set(orders.map((o) => o.number));
    expect(theirOrders.some((o) => ourNumbers.has(o.number))).toBe(false);
  });

  it('anchors dates to the reference date, not the clock; `now` moves the dates but keeps the ids', async () => {
    const now = DEFAULT_SEED_NOW.getTime();
    const placed = orders.map((o) => o.placedAt.getTime());
    expect(Math.max(...placed)).toBeLessThanOrEqual(now);
    expect(Math.min(...placed)).toBeGreaterThan(now - 3 * 366 * DAY);
    expect(Math.max(...placed)).toBeGreaterThan(now - 30 * DAY);

    const other = await another();
    const later = new Date('2027-06-01T00:00:00Z');
    await seedDatabase(other.models, { customers: 20, seed: 1, now: later });
    const moved = await other.models.Customer.find().sort({ _id: 1 }).lean();
    const original = [...customers].sort((a, b) => String(a._id).localeCompare(String(b._id))).slice(0, 20);
    expect(moved.map((c) => String(c._id))).toEqual(original.map((c) => String(c._id)));
    expect(moved.map((c) => c.name)).toEqual(original.map((c) => c.name));
    expect(moved[0]?.createdAt.getTime()).toBe((original[0]?.createdAt.getTime() ?? 0) + (later.getTime() - now));
  });

  it('assigns owners round-robin over the agents, and agents to interactions', async () => {
    const other = await another();
    await seedDemoUsers(other.models);
    await seedDatabase(other.models, { customers: 100, seed: 3 });
    const agents = await other.models.User.find({ roles: 'agent' }).sort({ email: 1 }).lean();
    expect(agents).toHaveLength(5);
    const owned = await other.models.Customer.find({ ownerId: { $exists: true } }).lean();
    expect(owned.length).toBeGreaterThan(30);
    const owners = new Set(owned.map((c) => String(c.ownerId)));
    expect(owners).toEqual(new Set(agents.map((a) => String(a._id))));
    const companies = await other.models.Customer.find({ kind: 'company' }).lean();
    expect(companies.every((c) => c.ownerId !== undefined)).toBe(true);
    const calls = await other.models.Interaction.find({ type: 'call' }).lean();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.agentName?.startsWith('Agent ') && c.callId?.startsWith('CA'))).toBe(true);
    // Without agents, nobody owns anything.
    expect(customers.every((c) => c.ownerId === undefined)).toBe(true);
  });

  it('treats duplicate keys as already there and rethrows anything else', async () => {
    const coll = db.conn.collection<{ _id: unknown; n?: number }>('seed_writer_probe');
    await expect(insertIgnoringDuplicates(coll, [{ _id: 1 }, { _id: 2 }])).resolves.toEqual({
      inserted: 2,
      existing: 0,
    });
    await expect(insertIgnoringDuplicates(coll, [{ _id: 1 }, { _id: 3 }, { _id: 2 }])).resolves.toEqual({
      inserted: 1,
      existing: 2,
    });
    // An array is not a valid _id: not a duplicate, so it must surface.
    await expect(insertIgnoringDuplicates(coll, [{ _id: 4 }, { _id: [1, 2] }])).rejects.toThrow();
  });
});

describe('seedDatabase: realistic customers', () => {
  it('covers the four countries with their time zones, currencies and scripts', () => {
    const expected: Record<string, [string, string]> = {
      PL: ['Europe/Warsaw', 'PLN'],
      HR: ['Europe/Zagreb', 'EUR'],
      HU: ['Europe/Budapest', 'HUF'],
      GR: ['Europe/Athens', 'EUR'],
    };
    expect(new Set(customers.map((c) => c.country))).toEqual(new Set(Object.keys(expected)));
    for (const c of customers) {
      expect([c.timeZone, c.creditTerms.currency]).toEqual(expected[c.country]);
      expect(c.nameKeys).toEqual(nameKeys(c.name));
      if (c.email) expect(c.emailKey).toBe(c.email.toLowerCase());
      expect([7, 14, 30, 60]).toContain(c.creditTerms.paymentTermsDays);
    }
    const greek = customers.filter((c) => c.country === 'GR');
    expect(greek.filter((c) => /\p{Script=Greek}/u.test(c.name)).length).toBe(greek.length);
    expect(customers.some((c) => c.country === 'PL' && /[ąćęłńóśźż]/i.test(c.name))).toBe(true);
    expect(customers.some((c) => c.country === 'HU' && /[áéíóöőúüű]/i.test(c.name))).toBe(true);
    expect(customers.some((c) => c.country === 'HR' && /[čćđšž]/i.test(c.name))).toBe(true);
    expect(customers.filter((c) => c.email).length / CUSTOMERS).toBeGreaterThan(0.7);
  });

  it('is about 85 % persons and 15 % companies; companies have 1-3 contacts with phones and a switchboard', () => {
    const companies = customers.filter((c) => c.kind === 'company');
    expect(companies.length / CUSTOMERS).toBeGreaterThan(0.08);
    expect(companies.length / CUSTOMERS).toBeLessThan(0.25);
    for (const c of companies) {
      expect(c.contacts.length).toBeGreaterThanOrEqual(1);
      expect(c.contacts.length).toBeLessThanOrEqual(3);
      expect(c.contacts.every((contact) => contact.phones.length > 0)).toBe(true);
      expect(c.phones.some((p) => p.type === 'switchboard')).toBe(true);
      expect(c.labels).toContain('b2b');
    }
    expect(customers.filter((c) => c.kind === 'person').every((c) => c.contacts.length === 0)).toBe(true);
  });

  it('stores valid E.164 numbers that are the normalized raw forms, and phoneKeys covers them all', () => {
    const forms = new Set<string>();
    for (const c of customers) {
      const all = [...c.phones, ...c.contacts.flatMap((k) => k.phones)];
      expect(all.length).toBeGreaterThan(0);
      for (const p of all) {
        expect(normalizePhone(p.raw, c.country as CountryCode)?.e164).toBe(p.e164);
        expect(parsePhoneNumberFromString(p.e164)?.isValid(), p.e164).toBe(true);
        forms.add(
          p.raw.startsWith('+')
            ? 'plus'
            : p.raw.startsWith('00')
              ? '00'
              : /^\d+$/.test(p.raw)
                ? 'compact'
                : p.raw.includes('-') || p.raw.includes('/')
                  ? 'dashes'
                  : 'spaces',
        );
      }
      expect([...c.phoneKeys].sort()).toEqual([...new Set(all.map((p) => p.e164))].sort());
    }
    expect(forms).toEqual(new Set(['plus', '00', 'compact', 'dashes', 'spaces']));
    expect(customers.some((c) => c.country === 'HU' && c.phones.some((p) => p.raw.startsWith('06')))).toBe(true);
  });

  it('has numbers shared by several customers, found by one indexed lookup', async () => {
    const shared = await db.models.Customer.aggregate<{ _id: string; n: number }>([
      { $unwind: '$phoneKeys' },
      { $group: { _id: '$phoneKeys', n: { $sum: 1 } } },
      { $match: { n: { $gte: 2 } } },
    ]);
    expect(shared.length).toBeGreaterThanOrEqual(1);
    const sharing = new Set<string>();
    for (const s of shared) {
      const found = await db.models.Customer.find({ phoneKeys: s._id }).lean();
      expect(found.length).toBe(s.n);
      for (const c of found) sharing.add(String(c._id));
    }
    // About 2-3 % of customers, not a handful and not everyone.
    expect(sharing.size / CUSTOMERS).toBeGreaterThan(0.01);
    expect(sharing.size / CUSTOMERS).toBeLessThan(0.06);
  });

  it('sets labels and flags from the data', () => {
    const has = (label: string) => customers.filter((c) => c.labels.includes(label));
    for (const label of ['b2b', 'vip', 'new', 'wholesale', 'late-payer'])
      expect(has(label).length, label).toBeGreaterThan(0);
    expect(has('wholesale').every((c) => c.kind === 'company')).toBe(true);
    const now = DEFAULT_SEED_NOW.getTime();
    expect(has('new').every((c) => now - c.createdAt.getTime() <= 90 * DAY)).toBe(true);
    expect(customers.some((c) => c.flags.doNotCall)).toBe(true);
    expect(customers.some((c) => !c.flags.smsConsent)).toBe(true);
    expect(customers.filter((c) => c.flags.doNotCall).length / CUSTOMERS).toBeLessThan(0.1);
  });
});

describe('seedDatabase: purchases, billing and history', () => {
  const skusOf = (o: Order) => o.lines.map((l) => l.sku);
  const byCustomer = () => {
    const map = new Map<string, Order[]>();
    for (const o of orders) {
      const key = String(o.customerId);
      map.set(key, [...(map.get(key) ?? []), o]);
    }
    for (const list of map.values()) list.sort((a, b) => a.placedAt.getTime() - b.placedAt.getTime());
    return map;
  };

  it('averages about five orders per customer with consistent totals', () => {
    expect(orders.length / CUSTOMERS).toBeGreaterThan(3.5);
    expect(orders.length / CUSTOMERS).toBeLessThan(7);
    const customerIds = new Set(customers.map((c) => String(c._id)));
    for (const o of orders) {
      expect(customerIds.has(String(o.customerId))).toBe(true);
      const minor = o.lines.reduce((sum, l) => sum + Math.round(l.unitPrice * 100) * l.quantity, 0);
      expect(Math.round(o.total * 100)).toBe(minor);
      expect(o.lines.length).toBeGreaterThan(0);
    }
    expect(new Set(orders.map((o) => o.number)).size).toBe(orders.length);
  });

  it('plants pool → cleaner and chlorine within days, with lift well above 1', () => {
    const perCustomer = byCustomer();
    let pool = 0;
    let cleanerSoon = 0;
    let chlorine = 0;
    let withCleaner = 0;
    for (const list of perCustomer.values()) {
      const skus = list.flatMap(skusOf);
      if (skus.some((s) => s.startsWith('POOL-CLEAN'))) withCleaner++;
      const poolOrder = list.find((o) => skusOf(o).some((s) => s.startsWith('POOL-FRAME')));
      if (!poolOrder) continue;
      pool++;
      const t = poolOrder.placedAt.getTime();
      const near = (prefix: string) =>
        list.some(
          (o) =>
            skusOf(o).some((s) => s.startsWith(prefix)) &&
            o.placedAt.getTime() - t >= 0 &&
            o.placedAt.getTime() - t <= 15 * DAY,
        );
      if (near('POOL-CLEAN')) cleanerSoon++;
      if (near('POOL-CHLOR')) chlorine++;
    }
    expect(pool).toBeGreaterThanOrEqual(10);
    expect(cleanerSoon).toBe(pool);
    expect(chlorine / pool).toBeGreaterThan(0.6);
    const lift = cleanerSoon / pool / (withCleaner / perCustomer.size);
    expect(lift).toBeGreaterThan(3);
  });

  it('plants mower → replacement blades about six months later', () => {
    const now = DEFAULT_SEED_NOW.getTime();
    const gaps: number[] = [];
    let oldMowers = 0;
    for (const list of byCustomer().values()) {
      const mower = list.find((o) => skusOf(o).some((s) => s.startsWith('MOW-')));
      if (!mower || now - mower.placedAt.getTime() < 320 * DAY) continue;
      oldMowers++;
      const blades = list.find((o) => o.placedAt > mower.placedAt && skusOf(o).some((s) => s.startsWith('BLADE-')));
      if (blades) gaps.push((blades.placedAt.getTime() - mower.placedAt.getTime()) / DAY);
    }
    expect(oldMowers).toBeGreaterThanOrEqual(5);
    expect(gaps.length / oldMowers).toBeGreaterThan(0.6);
    expect(gaps.every((g) => g >= 85 && g <= 305)).toBe(true);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(140);
    expect(median).toBeLessThan(220);
  });

  it('plants printer → toner every few months and coffee machine → descaler', () => {
    let printers = 0;
    let toner = 0;
    let machines = 0;
    let descaler = 0;
    for (const list of byCustomer().values()) {
      const printer = list.find((o) => skusOf(o).some((s) => s.startsWith('PRN-')));
      if (printer) {
        printers++;
        if (
          list.some(
            (o) =>
              o.placedAt.getTime() - printer.placedAt.getTime() >= 30 * DAY &&
              skusOf(o).some((s) => s.startsWith('TONER-') || s === 'INK-SET'),
          )
        )
          toner++;
      }
      const machine = list.find((o) => skusOf(o).some((s) => s.startsWith('COF-ESPRESSO') || s === 'COF-BEAN2CUP'));
      if (machine) {
        machines++;
        if (list.some((o) => o.placedAt >= machine.placedAt && skusOf(o).includes('DESCALER-500'))) descaler++;
      }
    }
    expect(printers).toBeGreaterThanOrEqual(10);
    expect(toner / printers).toBeGreaterThan(0.4);
    expect(machines).toBeGreaterThanOrEqual(10);
    expect(descaler / machines).toBeGreaterThan(0.7);
  });

  it('stores the catalogue with stable SKUs and replenishment days on consumables', async () => {
    const products = await db.models.Product.find().lean();
    expect(products.length).toBeGreaterThanOrEqual(40);
    expect(products.length).toBeLessThanOrEqual(60);
    const bySku = new Map(products.map((p) => [p.sku, p]));
    expect(bySku.get('BLADE-46')?.replenishDays).toBe(180);
    expect(bySku.get('MOW-PETROL-46')?.replenishDays).toBeUndefined();
    expect(orders.flatMap((o) => o.lines).every((l) => bySku.has(l.sku))).toBe(true);
  });

  it('issues one invoice per order, due after the customer terms, some open and overdue', () => {
    const now = DEFAULT_SEED_NOW.getTime();
    expect(invoices).toHaveLength(orders.length);
    const orderById = new Map(orders.map((o) => [String(o._id), o]));
    const termsById = new Map(customers.map((c) => [String(c._id), c.creditTerms.paymentTermsDays]));
    for (const inv of invoices) {
      const order = orderById.get(String(inv.orderId));
      expect(order?.total).toBe(inv.amount);
      expect(isValidCreditorReference(inv.paymentReference)).toBe(true);
      expect(Math.round((inv.dueAt.getTime() - inv.issuedAt.getTime()) / DAY)).toBe(
        termsById.get(String(inv.customerId)),
      );
      if (inv.status === 'open') expect(inv.paid).toBeLessThan(inv.amount);
      if (inv.status === 'paid') expect(inv.paid).toBe(inv.amount);
    }
    const overdue = invoices.filter((i) => i.status === 'open' && i.dueAt.getTime() < now);
    expect(overdue.length / invoices.length).toBeGreaterThan(0.06);
    expect(overdue.length / invoices.length).toBeLessThan(0.14);
    for (const inv of overdue) {
      const days = (now - inv.dueAt.getTime()) / DAY;
      expect(days).toBeGreaterThan(0);
      expect(days).toBeLessThanOrEqual(200);
    }
    expect(overdue.some((i) => i.paid > 0)).toBe(true);
    expect(invoices.some((i) => i.status === 'open' && i.dueAt.getTime() >= now)).toBe(true);
  });

  it('records payments against existing invoices, with the invoice reference, some of them late', () => {
    const invoiceById = new Map(invoices.map((i) => [String(i._id), i]));
    const paidPerInvoice = new Map<string, number>();
    for (const p of payments) {
      const inv = invoiceById.get(String(p.invoiceId));
      expect(inv, `payment ${String(p._id)}`).toBeDefined();
      expect(p.reference).toBe(inv?.paymentReference);
      expect(String(p.customerId)).toBe(String(inv?.customerId));
      expect(p.currency).toBe(inv?.currency);
      paidPerInvoice.set(String(p.invoiceId), (paidPerInvoice.get(String(p.invoiceId)) ?? 0) + p.amount);
    }
    for (const inv of invoices) expect(paidPerInvoice.get(String(inv._id)) ?? 0).toBeCloseTo(inv.paid, 2);
    const late = payments.filter((p) => p.paidAt > (invoiceById.get(String(p.invoiceId))?.dueAt ?? p.paidAt));
    expect(late.length).toBeGreaterThan(0);
    expect(late.length).toBeLessThan(payments.length / 2);
  });

  it('has about two interactions per customer and open cases for about 5 %', async () => {
    const interactions = await db.models.Interaction.find().lean();
    expect(interactions.length / CUSTOMERS).toBeGreaterThan(1.3);
    expect(interactions.length / CUSTOMERS).toBeLessThan(3);
    const types = new Set(interactions.map((i) => i.type));
    for (const t of ['call', 'note', 'sms', 'letter']) expect(types.has(t as never), t).toBe(true);
    expect(interactions.filter((i) => i.type === 'call').every((i) => i.disposition !== undefined)).toBe(true);
    const cases = await db.models.Case.find().lean();
    const open = cases.filter((c) => c.status !== 'closed');
    expect(open.length / CUSTOMERS).toBeGreaterThan(0.02);
    expect(open.length / CUSTOMERS).toBeLessThan(0.09);
    expect(cases.some((c) => c.status === 'closed' && c.closedAt !== undefined)).toBe(true);
    const callIds = new Set(interactions.map((i) => i.callId));
    expect(cases.every((c) => c.callIds.every((id) => callIds.has(id)))).toBe(true);
  });

  it('writes documents that satisfy the Mongoose schemas', async () => {
    const m = db.models;
    const check = async (model: Models[keyof Models]) => {
      const docs = await lean<Record<string, unknown>>(model);
      const Model = model as unknown as new (doc: Record<string, unknown>) => { validate(): Promise<void> };
      const failures: string[] = [];
      for (const doc of docs) await new Model(doc).validate().catch((err: Error) => failures.push(err.message));
      expect(failures).toEqual([]);
      return docs.length;
    };
    for (const model of [m.Customer, m.Product, m.Order, m.Invoice, m.Payment, m.Interaction, m.Case])
      expect(await check(model)).toBeGreaterThan(0);
  });
});
