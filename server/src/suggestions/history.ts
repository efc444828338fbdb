// A customer's purchase history as the suggestion math sees it, and how the job reads every
// customer's history in bounded pieces.
//
// Why pieces: the embedded database (SecantusDB) builds a query's whole result before the
// first batch leaves the server, so one cursor over 5 million orders needs gigabytes there
// (it was OOM-killed trying). A query on a narrow range of an index costs what it matches.
// So the orders are read by customer-id ranges of a few thousand orders each, and the range
// bounds come from a small sample of orders taken through the `placedAt` index (time windows
// spread over the years). On MongoDB this reads the same way, just without the need.
import { Types, type mongo } from 'mongoose';
import type { Order } from '../db/schemas/order.model';

export const DAY_MS = 86_400_000;

/** One order, reduced to what the suggestions need. */
export interface Purchase {
  /** placedAt, in ms. */
  at: number;
  /** Distinct SKUs of the order. */
  skus: string[];
  /** False for returned orders: they do not teach what goes together, but the customer did just buy it. */
  kept: boolean;
}

export interface CustomerHistory {
  customerId: Types.ObjectId;
  /** Orders read, cancelled ones included. */
  orders: number;
  /** Oldest first; cancelled orders are left out. */
  purchases: Purchase[];
}

/** The order fields the job reads (a projection keeps the stream small). */
export type OrderSlice = Pick<Order, 'customerId' | 'placedAt' | 'status'> & { lines: Array<{ sku: string }> };

export const ORDER_SLICE_PROJECTION = { _id: 0, customerId: 1, placedAt: 1, status: 1, 'lines.sku': 1 } as const;

/** Product names as they appeared on order lines (a fallback when a SKU is not in the catalogue). */
export type NameSink = (sku: string, name: string) => void;

export function toPurchase(order: OrderSlice): Purchase | undefined {
  if (order.status === 'cancelled') return undefined;
  const skus: string[] = [];
  for (const line of order.lines) if (line.sku && !skus.includes(line.sku)) skus.push(line.sku);
  if (skus.length === 0) return undefined;
  return { at: order.placedAt.getTime(), skus, kept: order.status !== 'returned' };
}

/** A history from one customer's orders, in any order. */
export function historyOf(customerId: Types.ObjectId, orders: readonly OrderSlice[]): CustomerHistory {
  const purchases: Purchase[] = [];
  for (const order of orders) {
    const purchase = toPurchase(order);
    if (purchase) purchases.push(purchase);
  }
  purchases.sort((a, b) => a.at - b.at);
  return { customerId, orders: orders.length, purchases };
}

/** Customers with ids in [from, to); an open end when omitted. */
export interface CustomerRange {
  from?: Types.ObjectId;
  to?: Types.ObjectId;
}

export interface RangePlanOptions {
  /** About this many orders per range (default 5,000). */
  ordersPerRange?: number;
  /** The sample's time span ends here (plus a year, for orders dated ahead of the clock). */
  now: Date;
  /** …and goes back this far (default 30 years). */
  lookbackDays?: number;
  /** Time windows sampled (default 400). */
  windows?: number;
  /** Sampled orders per range wanted (default 32: enough to keep ranges within about 2× of the target). */
  samplesPerRange?: number;
  /** Sample queries in flight (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Customer-id ranges holding about `ordersPerRange` orders each, covering every id (the
 * first and last ranges are open). The bounds are quantiles of the customer ids of sampled
 * orders: `windows` time windows, evenly spread (with jitter, so they do not all fall at the
 * same hour of the day) and together about as long as the share of orders wanted.
 */
export async function planCustomerRanges(
  orders: mongo.Collection<mongo.Document>,
  opts: RangePlanOptions,
): Promise<CustomerRange[]> {
  const total = await orders.estimatedDocumentCount();
  const parts = Math.ceil(total / (opts.ordersPerRange ?? 5000));
  if (parts <= 1) return [{}];
  const windows = opts.windows ?? 400;
  const share = Math.min(1, (parts * (opts.samplesPerRange ?? 32)) / total);
  const end = opts.now.getTime() + 366 * DAY_MS;
  const start = end - (opts.lookbackDays ?? 30 * 365) * DAY_MS - 366 * DAY_MS;
  const stride = (end - start) / windows;
  const width = Math.max(60_000, stride * share);
  const sample: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < windows) {
      opts.signal?.throwIfAborted();
      const i = next++;
      const jitter = ((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32) * Math.max(0, stride - width);
      const from = new Date(start + i * stride + jitter);
      const docs = await orders
        .find<{ customerId: Types.ObjectId }>(
          { placedAt: { $gte: from, $lt: new Date(from.getTime() + width) } },
          { projection: { _id: 0, customerId: 1 }, batchSize: 100_000 },
        )
        .toArray();
      for (const doc of docs) sample.push(doc.customerId.toHexString());
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  // Without a usable sample the ranges would be few and huge: better to say so than to ask the
  // database for millions of orders in one query.
  if (sample.length < parts) {
    throw new Error(
      `suggestions: sampled ${sample.length} orders for ${parts} customer ranges; are the orders dated within ` +
        `${Math.round((end - start) / DAY_MS / 365)} years before ${new Date(end).toISOString().slice(0, 10)}? (lookbackDays)`,
    );
  }
  return rangesFromSample(sample, parts);
}

/** `parts` ranges cut at quantiles of the sampled ids (fewer when the sample is small or ids repeat). */
export function rangesFromSample(sample: string[], parts: number): CustomerRange[] {
  const sorted = [...sample].sort();
  const cuts: string[] = [];
  for (let k = 1; k < parts && sorted.length > 0; k++) {
    const cut = sorted[Math.floor((k * sorted.length) / parts)]!;
    if (cut !== cuts.at(-1) && cut !== sorted[0]) cuts.push(cut);
  }
  const bounds = [undefined, ...cuts.map((hex) => new Types.ObjectId(hex)), undefined];
  return bounds.slice(1).map((to, i) => {
    const from = bounds[i];
    return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  });
}

/** One range's customers, each with their whole history, in customer-id order. */
export async function readCustomerRange(
  orders: mongo.Collection<mongo.Document>,
  range: CustomerRange,
): Promise<CustomerHistory[]> {
  const bounds = { ...(range.from ? { $gte: range.from } : {}), ...(range.to ? { $lt: range.to } : {}) };
  const docs = await orders
    .find<OrderSlice>(Object.keys(bounds).length > 0 ? { customerId: bounds } : {}, {
      projection: ORDER_SLICE_PROJECTION,
      sort: { customerId: 1, placedAt: -1 },
      batchSize: 100_000,
    })
    .toArray();
  const histories: CustomerHistory[] = [];
  let first = 0;
  for (let i = 1; i <= docs.length; i++) {
    if (i === docs.length || !docs[i]!.customerId.equals(docs[first]!.customerId)) {
      histories.push(historyOf(docs[first]!.customerId, docs.slice(first, i)));
      first = i;
    }
  }
  return histories;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** Range queries in flight (default 2: the next range is read while this one is processed). */
  concurrency?: number;
  /** Called with the number of orders read so far, once per range. */
  onOrders?: (orders: number) => void;
}

/**
 * Every range's histories, in range order, with the next ranges already being read while the
 * caller processes one. Memory: `concurrency` ranges of orders.
 */
export async function* readCustomerRanges(
  orders: mongo.Collection<mongo.Document>,
  ranges: readonly CustomerRange[],
  opts: ReadOptions = {},
): AsyncGenerator<CustomerHistory[], void, void> {
  const ahead = Math.max(1, opts.concurrency ?? 2);
  const inFlight: Array<Promise<CustomerHistory[]>> = [];
  let next = 0;
  const fill = () => {
    while (inFlight.length < ahead && next < ranges.length) {
      const read = readCustomerRange(orders, ranges[next++]!);
      // Awaited in order below; until then a failure must not count as unhandled.
      read.catch(() => undefined);
      inFlight.push(read);
    }
  };
  let orderCount = 0;
  try {
    fill();
    while (inFlight.length > 0) {
      opts.signal?.throwIfAborted();
      const histories = await inFlight.shift()!;
      fill();
      for (const h of histories) orderCount += h.orders;
      opts.onOrders?.(orderCount);
      yield histories;
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
