// A customer's purchases, invoices and payments. Purchases follow planted stories that a
// co-purchase / replenishment miner should find again (pool → cleaner + chlorine within days,
// mower → blades about six months later, printer → toner every few months, coffee machine →
// descaler), on top of unrelated background purchases.
import type { Invoice } from '../db/schemas/invoice.model';
import type { Payment } from '../db/schemas/payment.model';
import type { Order, OrderLine } from '../db/schemas/order.model';
import { BACKGROUND_SKUS, MINOR, OFFICE_SKUS, catalogItem, unitPriceMinor, type Currency } from './catalog';
import { DAY_MS, localHourToUtc, startOfUtcDay, type SeedContext } from './context';
import type { CustomerDraft } from './customers';
import { creditorReference, documentNumber, seededObjectId } from './ids';
import { Rng, Stream } from './random';

interface Purchase {
  at: number;
  lines: Array<{ sku: string; quantity: number }>;
}

/** Longest an unpaid invoice stays open in the seeded data (older debts were settled). */
export const MAX_OVERDUE_DAYS = 200;

const EUR_RATE: Record<Currency, number> = { EUR: 1, PLN: 4.3, HUF: 395 };

export interface History {
  orders: Order[];
  invoices: Invoice[];
  payments: Payment[];
  /** Lifetime spend in EUR, for the vip label. */
  spendEur: number;
  /** Invoices open past their due date. */
  overdue: Invoice[];
  /** Invoices that were paid after their due date. */
  paidLate: Invoice[];
  lastOrderAt?: number;
}

/** A date in [from, to], preferring the given months (0-11) as seasonal goods sell in season. */
function seasonalDate(rng: Rng, from: number, to: number, months: readonly number[]): number {
  let at = rng.real(from, to);
  for (let tries = 0; tries < 6 && !months.includes(new Date(at).getUTCMonth()); tries++) at = rng.real(from, to);
  return at;
}

class Basket {
  readonly purchases: Purchase[] = [];
  constructor(private readonly now: number) {}

  /** A purchase at `at`, if that is not in the future. Returns it so later items can join it. */
  add(at: number, lines: Purchase['lines']): Purchase | undefined {
    if (at > this.now) return undefined;
    const purchase = { at, lines: [...lines] };
    this.purchases.push(purchase);
    return purchase;
  }

  /** With the first purchase (`sameOrder`) or as its own purchase `afterDays` later; joins it if that would be in the future. */
  follow(first: Purchase, sameOrder: boolean, afterDays: number, lines: Purchase['lines']): void {
    const at = first.at + afterDays * DAY_MS;
    if (sameOrder || at > this.now) first.lines.push(...lines);
    else this.add(at, lines);
  }

  /** Repeat purchases every `interval()` days after `from`, each time continuing with `keepOn`. */
  repeat(
    from: number,
    interval: () => number,
    keepOn: number,
    max: number,
    lines: () => Purchase['lines'],
    rng: Rng,
  ): void {
    let at = from;
    for (let n = 0; n < max; n++) {
      at += Math.max(14, interval()) * DAY_MS;
      if (at > this.now || !rng.chance(keepOn)) return;
      this.add(at, lines());
    }
  }
}

function plantStories(rng: Rng, draft: CustomerDraft, basket: Basket, from: number, now: number): void {
  const company = draft.kind === 'company';
  const qty = (min: number, max: number) => (company ? rng.int(min, max) : 1);

  if (rng.chance(company ? 0.02 : 0.1)) {
    const pool = basket.add(seasonalDate(rng, from, now, [4, 5, 6, 7]), [
      { sku: rng.chance(0.7) ? 'POOL-FRAME-366' : 'POOL-FRAME-457', quantity: 1 },
    ]);
    if (pool) {
      basket.follow(pool, rng.chance(0.55), rng.int(1, 10), [
        { sku: rng.chance(0.6) ? 'POOL-CLEAN-HAND' : 'POOL-CLEAN-AUTO', quantity: 1 },
      ]);
      if (rng.chance(0.85)) {
        const chlorine = () => [
          rng.chance(0.7) ? { sku: 'POOL-CHLOR-1KG', quantity: rng.int(1, 3) } : { sku: 'POOL-CHLOR-5KG', quantity: 1 },
        ];
        basket.follow(pool, rng.chance(0.5), rng.int(0, 14), chlorine());
        basket.repeat(pool.at, () => rng.normal(45, 12), 0.75, 3, chlorine, rng);
      }
      if (rng.chance(0.3)) pool.lines.push({ sku: 'POOL-TEST-KIT', quantity: 1 });
      if (rng.chance(0.2)) pool.lines.push({ sku: 'POOL-COVER-366', quantity: 1 });
    }
  }

  if (rng.chance(company ? 0.06 : 0.12)) {
    const [mower, blade] = rng.weighted([
      [['MOW-PETROL-46', 'BLADE-46'], 45],
      [['MOW-ELEC-38', 'BLADE-38'], 40],
      [['MOW-ROBOT-600', 'BLADE-ROBOT-9'], 15],
    ] as const);
    const bought = basket.add(seasonalDate(rng, from, now, [2, 3, 4, 5]), [{ sku: mower, quantity: 1 }]);
    if (bought && rng.chance(0.85)) {
      // Blades wear out over a season: about six months later, with a spread.
      const first = bought.at + Math.min(300, Math.max(90, rng.normal(182, 35))) * DAY_MS;
      if (basket.add(first, [{ sku: blade, quantity: qty(1, 2) }]) && rng.chance(0.45)) {
        basket.add(first + Math.min(300, Math.max(100, rng.normal(180, 40))) * DAY_MS, [
          { sku: blade, quantity: qty(1, 2) },
        ]);
      }
    }
  }

  if (rng.chance(company ? 0.45 : 0.08)) {
    const [printer, toner, every] = rng.weighted([
      [['PRN-LASER-MONO', 'TONER-MONO', 90], 45],
      [['PRN-LASER-COLOR', 'TONER-COLOR-SET', 120], 25],
      [['PRN-INKJET-MFP', 'INK-SET', 60], 30],
    ] as const);
    const bought = basket.add(rng.real(from, now), [{ sku: printer, quantity: qty(1, 3) }]);
    if (bought) {
      if (rng.chance(0.25)) bought.lines.push({ sku: toner, quantity: qty(1, 3) });
      basket.repeat(
        bought.at,
        () => rng.normal(every, every / 4),
        0.85,
        company ? 12 : 6,
        () => [{ sku: toner, quantity: qty(1, 4) }],
        rng,
      );
    }
  }

  if (rng.chance(company ? 0.2 : 0.1)) {
    const machine = basket.add(rng.real(from, now), [
      { sku: rng.chance(0.6) ? 'COF-ESPRESSO' : 'COF-BEAN2CUP', quantity: 1 },
    ]);
    if (machine) {
      if (rng.chance(0.9))
        basket.follow(machine, rng.chance(0.45), rng.int(3, 20), [{ sku: 'DESCALER-500', quantity: qty(1, 4) }]);
      if (rng.chance(0.4)) machine.lines.push({ sku: 'COF-BEANS-1KG', quantity: qty(1, 5) });
      basket.repeat(
        machine.at,
        () => rng.normal(80, 20),
        0.7,
        6,
        () => [{ sku: 'DESCALER-500', quantity: qty(1, 3) }],
        rng,
      );
    }
  }
}

function backgroundPurchases(rng: Rng, draft: CustomerDraft, basket: Basket, from: number, now: number): void {
  const company = draft.kind === 'company';
  const years = (now - from) / (365 * DAY_MS);
  let count = rng.poisson((company ? 4.2 : 2.3) * years);
  if (count === 0 && basket.purchases.length === 0) count = 1;
  for (let n = 0; n < count; n++) {
    const lines: Purchase['lines'] = [];
    const size = rng.weighted([
      [1, 60],
      [2, 28],
      [3, 12],
    ] as const);
    for (let l = 0; l < size; l++) {
      const sku = company && rng.chance(0.5) ? rng.pick(OFFICE_SKUS) : rng.pick(BACKGROUND_SKUS);
      if (lines.some((line) => line.sku === sku)) continue;
      const consumable = catalogItem(sku).replenishDays !== undefined;
      lines.push({
        sku,
        quantity: consumable ? (company ? rng.int(2, 20) : rng.int(1, 3)) : company ? rng.int(1, 4) : 1,
      });
    }
    basket.add(rng.real(from, now), lines);
  }
}

function orderStatus(rng: Rng, ageDays: number): Order['status'] {
  if (ageDays < 2) return 'placed';
  if (ageDays < 6) return rng.chance(0.7) ? 'shipped' : 'delivered';
  return rng.weighted([
    ['delivered', 975],
    ['returned', 15],
    ['cancelled', 10],
  ] as const);
}

/** When the customer settles an invoice, by habit; at most MAX_OVERDUE_DAYS - 1 after the due date. */
function paymentDelayDays(rng: Rng, draft: CustomerDraft): number {
  const terms = draft.paymentTermsDays;
  const late = (min: number, max: number) => rng.int(min, Math.min(max, MAX_OVERDUE_DAYS - 1));
  switch (draft.behaviour) {
    case 'prompt':
      return rng.chance(0.85) ? -Math.floor(rng.real(0, 0.85) * terms) : late(3, 150);
    case 'slow':
      return late(5, 199);
    case 'bad':
      // Pays only when chased hard, if at all: still open at the horizon, then settled.
      return rng.chance(0.6) ? MAX_OVERDUE_DAYS - 1 : late(30, 199);
  }
}

const round2 = (minor: number) => Math.round(minor) / MINOR;

export function generateHistory(ctx: SeedContext, draft: CustomerDraft): History {
  const rng = new Rng(ctx.seed, Stream.history, draft.index);
  const { now } = ctx;
  const currency = draft.profile.currency;
  const from = draft.since + rng.int(0, 14) * DAY_MS;
  const basket = new Basket(now);
  if (from < now) {
    plantStories(rng, draft, basket, from, now);
    backgroundPurchases(rng, draft, basket, from, now);
  }
  basket.purchases.sort((a, b) => a.at - b.at);

  const history: History = { orders: [], invoices: [], payments: [], spendEur: 0, overdue: [], paidLate: [] };
  const discount = draft.wholesale ? 0.9 : 1;
  for (const purchase of basket.purchases) {
    // Orders come in during the day, local time.
    const placedAt = Math.min(
      now,
      localHourToUtc(startOfUtcDay(purchase.at), rng.int(7, 22), draft.profile.timeZone, rng.int(0, 59)),
    );
    const lines: OrderLine[] = purchase.lines.map((line) => ({
      sku: line.sku,
      name: catalogItem(line.sku).name,
      quantity: line.quantity,
      unitPrice: round2(Math.round(unitPriceMinor(line.sku, currency) * discount)),
    }));
    const totalMinor = lines.reduce((sum, line) => sum + Math.round(line.unitPrice * MINOR) * line.quantity, 0);
    const status = orderStatus(rng, (now - placedAt) / DAY_MS);
    const orderIndex = ctx.counters.orders++;
    const order: Order = {
      _id: seededObjectId(ctx.seed, 'orders', orderIndex),
      customerId: draft._id,
      number: documentNumber('SO', ctx.seed, orderIndex),
      placedAt: new Date(placedAt),
      currency,
      lines,
      total: round2(totalMinor),
      status,
    };
    history.orders.push(order);
    history.lastOrderAt = placedAt;
    if (status !== 'cancelled') history.spendEur += totalMinor / MINOR / EUR_RATE[currency];

    const invoiceIndex = ctx.counters.invoices++;
    const issuedAt = startOfUtcDay(placedAt) + (draft.kind === 'company' ? rng.int(0, 1) : 0) * DAY_MS + 12 * 3_600_000;
    const dueAt = issuedAt + draft.paymentTermsDays * DAY_MS;
    const invoice: Invoice = {
      _id: seededObjectId(ctx.seed, 'invoices', invoiceIndex),
      customerId: draft._id,
      orderId: order._id,
      number: documentNumber('INV', ctx.seed, invoiceIndex),
      currency,
      amount: order.total,
      paid: 0,
      issuedAt: new Date(Math.min(issuedAt, now)),
      dueAt: new Date(dueAt),
      status: 'open',
      paymentReference: creditorReference(`${ctx.seed}${String(invoiceIndex + 1).padStart(9, '0')}`),
    };
    history.invoices.push(invoice);
    if (status === 'cancelled') {
      invoice.status = 'void';
      continue;
    }
    settle(ctx, rng, draft, invoice, history);
  }
  return history;
}

function addPayment(
  ctx: SeedContext,
  rng: Rng,
  draft: CustomerDraft,
  invoice: Invoice,
  amount: number,
  at: number,
  history: History,
): void {
  const paymentIndex = ctx.counters.payments++;
  const method: Payment['method'] =
    draft.kind === 'company'
      ? rng.weighted([
          ['transfer', 95],
          ['card', 4],
          ['other', 1],
        ] as const)
      : rng.weighted([
          ['transfer', 60],
          ['card', 34],
          ['cash', 5],
          ['other', 1],
        ] as const);
  history.payments.push({
    _id: seededObjectId(ctx.seed, 'payments', paymentIndex),
    customerId: draft._id,
    invoiceId: invoice._id,
    amount,
    currency: invoice.currency,
    paidAt: new Date(at),
    method,
    reference: invoice.paymentReference,
  });
}

/** Pays the invoice the way this customer pays, as far as that has happened by `now`. */
function settle(ctx: SeedContext, rng: Rng, draft: CustomerDraft, invoice: Invoice, history: History): void {
  const { now } = ctx;
  const issuedAt = invoice.issuedAt.getTime();
  const dueAt = invoice.dueAt.getTime();
  const payAt = Math.max(
    issuedAt + 3_600_000,
    dueAt + paymentDelayDays(rng, draft) * DAY_MS + rng.int(8, 17) * 3_600_000,
  );
  if (payAt <= now) {
    invoice.paid = invoice.amount;
    invoice.status = 'paid';
    addPayment(ctx, rng, draft, invoice, invoice.amount, payAt, history);
    if (payAt > dueAt + DAY_MS) history.paidLate.push(invoice);
    return;
  }
  if (dueAt >= now) return; // open, not yet due
  history.overdue.push(invoice);
  // Some debtors pay part of it.
  if (rng.chance(0.22) && invoice.amount >= 2) {
    const part = Math.floor(invoice.amount * rng.real(0.2, 0.7));
    if (part > 0) {
      const at = dueAt + rng.real(0.1, 1) * (now - dueAt);
      invoice.paid = part;
      addPayment(ctx, rng, draft, invoice, part, at, history);
    }
  }
}
