// Name-prefix and label pages that stay cheap at a million customers.
//
// The database builds a query's whole result before `limit` applies (DESIGN.md), so no query
// here may match more than a page or two. Two kinds of read keep it so:
// - a name-key RANGE that holds no frequent key (`nameKeys` index, `$elemMatch` so that both
//   bounds hold for the same key): it matches few customers, all read at once;
// - one frequent key, or one label, newest first in WINDOWS of `createdAt`
//   (`{nameKeys|labels: 1, createdAt: 1, _id: 1}`): each window is sized from how often the
//   key occurs, and widened when it held too few.
// Which keys are frequent is learned from a sample of the newest customers (re-read every few
// minutes) and from every range read that turned out large. Knowing too little costs time only,
// never a result: the pages' order is the data's, not the reads'.
//
// On a multikey index SecantusDB bounds a scan by the FIRST operator of a field only, so every
// window is written `{$gte: low, $lt: high}`: the scan starts at `low` and runs to the newest
// entry of the key, which the filter then cuts at `high`. Pages near the newest are the cheap ones.
import { Types, type QueryFilter } from 'mongoose';
import type { Models } from '../../db/models';
import type { Customer } from '../../db/schemas/customer.model';
import {
  comparePositions,
  inSegment,
  positionKey,
  segmentBefore,
  segments,
  type KeyRange,
  type Position,
  type Segment,
} from './keys';

/** The fields a page reads: the summary and what its order needs. */
const FIELDS = { kind: 1, name: 1, email: 1, phones: 1, labels: 1, ownerId: 1, nameKeys: 1, createdAt: 1 } as const;
export type FoundCustomer = Pick<
  Customer,
  '_id' | 'kind' | 'name' | 'email' | 'phones' | 'labels' | 'ownerId' | 'nameKeys' | 'createdAt'
>;

/** The position of a customer without createdAt: after every dated one. */
export const UNDATED = -8.64e15;
const DAY = 86_400_000;
/** Windows reaching before this are followed by one read of everything older. */
const FLOOR = Date.UTC(1990, 0, 1);

export interface SearchTuning {
  /** How many of the newest customers the frequency sample reads (at least). */
  sampleSize: number;
  /** A key seen this often in the sample is read by windows. */
  frequentInSample: number;
  /** A key a range read returned this often is read by windows from then on. */
  frequentInRange: number;
  /** How long a sample is used before it is read again. */
  sampleTtlMs: number;
}

export const DEFAULT_TUNING: SearchTuning = {
  sampleSize: 3000,
  frequentInSample: 2,
  frequentInRange: 150,
  sampleTtlMs: 10 * 60_000,
};

interface Sample {
  /** Customers per ms of createdAt, by name key and by label. */
  keyRate: Map<string, number>;
  labelRate: Map<string, number>;
  /** Customers per ms in the whole sample, for values it did not see. */
  spanMs: number;
  until: number;
}

export interface Page {
  docs: FoundCustomer[];
  /** Where the last of `docs` stands, when more follow. */
  next?: Position;
}

const atOf = (d: Pick<FoundCustomer, 'createdAt'>): number =>
  d.createdAt instanceof Date ? d.createdAt.getTime() : UNDATED;

export class CustomerSearch {
  private sample: Promise<Sample> | undefined;
  private sampleUntil = 0;
  /** Keys found frequent by range reads, with their rate (customers per ms). */
  private readonly learned = new Map<string, number>();

  constructor(
    private readonly models: Models,
    private readonly tuning: SearchTuning = DEFAULT_TUNING,
    private readonly now: () => number = Date.now,
  ) {}

  /** One page of a name-prefix search over `ranges` (see keys.ts), starting after `after`. */
  async byName(opts: {
    ranges: KeyRange[];
    scope: QueryFilter<Customer>;
    label?: string;
    limit: number;
    after?: Position;
  }): Promise<Page> {
    const want = opts.limit + 1;
    // A portfolio or a label narrows every read already; frequent keys are split off only for
    // the whole customer base.
    const plain = Object.keys(opts.scope).length === 0 && !opts.label;
    const sample = plain ? await this.currentSample() : undefined;
    const frequent = plain ? [...(sample?.keyRate.keys() ?? []), ...this.learned.keys()] : [];
    const extra: QueryFilter<Customer> = { ...opts.scope, ...(opts.label ? { labels: opts.label } : {}) };
    const found: Array<{ doc: FoundCustomer; at: Position }> = [];
    const after = opts.after;
    for (const seg of segments(opts.ranges, frequent)) {
      if (found.length >= want) break;
      if (after?.key !== undefined && segmentBefore(seg, after.key)) continue;
      const mine = (d: FoundCustomer): Position | undefined => {
        const key = positionKey(d.nameKeys, opts.ranges);
        if (key === undefined || !inSegment(key, seg)) return undefined;
        const p: Position = { key, at: atOf(d), id: d._id.toHexString() };
        return after && comparePositions(p, after) <= 0 ? undefined : p;
      };
      if (seg.kind === 'range') {
        const docs = await this.rangeRead(seg, after, extra);
        const kept = docs.flatMap((d) => {
          const p = mine(d);
          return p ? [{ doc: d, at: p }] : [];
        });
        kept.sort((a, b) => comparePositions(a.at, b.at));
        if (plain) this.learn(kept);
        found.push(...kept);
      } else {
        const rate = sample?.keyRate.get(seg.key) ?? this.learned.get(seg.key) ?? 1 / DAY;
        const from = after?.key === seg.key ? after : undefined;
        found.push(...(await this.newestFirst({ ...extra, nameKeys: seg.key }, from, want - found.length, rate, mine)));
      }
    }
    return this.page(found, opts.limit);
  }

  /** One page of the customers with `label`, newest first, starting after `after`. */
  async byLabel(opts: { label: string; scope: QueryFilter<Customer>; limit: number; after?: Position }): Promise<Page> {
    const sample = await this.currentSample();
    const rate = sample.labelRate.get(opts.label) ?? 1 / Math.max(sample.spanMs, DAY);
    const after = opts.after;
    const found = await this.newestFirst({ ...opts.scope, labels: opts.label }, after, opts.limit + 1, rate, (d) => {
      const p: Position = { at: atOf(d), id: d._id.toHexString() };
      return after && comparePositions(p, after) <= 0 ? undefined : p;
    });
    return this.page(found, opts.limit);
  }

  private page(found: Array<{ doc: FoundCustomer; at: Position }>, limit: number): Page {
    const docs = found.slice(0, limit);
    const last = docs.at(-1);
    return {
      docs: docs.map((f) => f.doc),
      ...(found.length > limit && last ? { next: last.at } : {}),
    };
  }

  /** A range segment read whole, from the cursor's key on when the cursor is inside it. */
  private rangeRead(
    seg: Extract<Segment, { kind: 'range' }>,
    after: Position | undefined,
    extra: QueryFilter<Customer>,
  ) {
    const startsAtCursor = after?.key !== undefined && after.key > seg.gte;
    const low = startsAtCursor ? { $gte: after.key } : seg.gteExclusive ? { $gt: seg.gte } : { $gte: seg.gte };
    return this.models.Customer.find(
      { nameKeys: { $elemMatch: { ...low, $lt: seg.lt } }, ...extra } as QueryFilter<Customer>,
      FIELDS,
    )
      .sort({ _id: -1 })
      .lean<FoundCustomer[]>();
  }

  /**
   * Up to `want` customers matching `base`, newest first, after `from`: the customers that share
   * `from`'s createdAt, then windows of createdAt going back, then everything older than 1990,
   * then the undated. `keep` says where a customer stands, or drops it.
   */
  private async newestFirst(
    base: QueryFilter<Customer>,
    from: Position | undefined,
    want: number,
    rate: number,
    keep: (d: FoundCustomer) => Position | undefined,
  ): Promise<Array<{ doc: FoundCustomer; at: Position }>> {
    const out: Array<{ doc: FoundCustomer; at: Position }> = [];
    const take = (docs: FoundCustomer[]) => {
      const kept = docs.flatMap((d) => {
        const p = keep(d);
        return p ? [{ doc: d, at: p }] : [];
      });
      kept.sort((a, b) => comparePositions(a.at, b.at));
      out.push(...kept);
      return kept.length;
    };
    const read = (filter: QueryFilter<Customer>) =>
      this.models.Customer.find({ ...base, ...filter } as QueryFilter<Customer>, FIELDS)
        .sort({ _id: -1 })
        .lean<FoundCustomer[]>();
    if (from && from.at === UNDATED) {
      take(await read({ createdAt: null, _id: { $lt: new Types.ObjectId(from.id) } }));
      return out;
    }
    if (from) take(await read({ createdAt: new Date(from.at), _id: { $lt: new Types.ObjectId(from.id) } }));
    // `high` undefined: no upper bound (the first page also finds customers dated in the future).
    let high = from?.at;
    let span = Math.min(Math.max(((want - out.length) / Math.max(rate, 1e-15)) * 1.5, 3_600_000), 200 * 365 * DAY);
    for (let step = 0; out.length < want; step++) {
      const top = high ?? this.now();
      const low = top - span;
      if (low <= FLOOR || step >= 12) {
        take(await read({ createdAt: high === undefined ? { $lt: new Date(8.64e15) } : { $lt: new Date(top) } }));
        if (out.length < want) take(await read({ createdAt: null }));
        break;
      }
      const got = take(
        await read({ createdAt: { $gte: new Date(low), ...(high === undefined ? {} : { $lt: new Date(high) }) } }),
      );
      high = low;
      const missing = want - out.length;
      span = got === 0 ? span * 4 : Math.max(span * 1.5, (missing / (got / span)) * 1.5);
    }
    return out;
  }

  /** Keys a range read returned often enough to be read by windows from now on. */
  private learn(kept: Array<{ at: Position }>): void {
    const byKey = new Map<string, { n: number; oldest: number }>();
    for (const { at } of kept) {
      if (at.key === undefined) continue;
      const e = byKey.get(at.key) ?? { n: 0, oldest: Infinity };
      e.n++;
      if (at.at !== UNDATED) e.oldest = Math.min(e.oldest, at.at);
      byKey.set(at.key, e);
    }
    for (const [key, e] of byKey) {
      if (e.n < this.tuning.frequentInRange) continue;
      if (this.learned.size >= 10_000) this.learned.delete(this.learned.keys().next().value ?? key);
      this.learned.set(key, e.n / Math.max(this.now() - e.oldest, DAY));
    }
  }

  /** The frequency sample, read again when it is older than the tuning says. */
  private currentSample(): Promise<Sample> {
    if (!this.sample || this.sampleUntil <= this.now()) {
      this.sampleUntil = this.now() + this.tuning.sampleTtlMs;
      const reading = this.readSample();
      // A failed read is tried again by the next search.
      reading.catch(() => (this.sampleUntil = 0));
      this.sample = reading;
    }
    return this.sample;
  }

  /** The newest customers (at least `sampleSize`, by widening a createdAt window), counted. */
  private async readSample(): Promise<Sample> {
    const now = this.now();
    let span = DAY;
    let docs: Array<Pick<FoundCustomer, 'nameKeys' | 'labels'>> = [];
    for (;;) {
      docs = await this.models.Customer.find({ createdAt: { $gte: new Date(now - span) } }, { nameKeys: 1, labels: 1 })
        .sort({ _id: -1 })
        .lean();
      if (docs.length >= this.tuning.sampleSize || now - span <= FLOOR) break;
      span *= docs.length === 0 ? 16 : Math.min(16, Math.max(2, (this.tuning.sampleSize / docs.length) * 1.3));
    }
    const count = (values: Iterable<string>, into: Map<string, number>) => {
      for (const v of values) into.set(v, (into.get(v) ?? 0) + 1);
    };
    const keys = new Map<string, number>();
    const labels = new Map<string, number>();
    for (const d of docs) {
      count(new Set(d.nameKeys), keys);
      count(new Set(d.labels), labels);
    }
    const rates = (m: Map<string, number>, min: number) =>
      new Map([...m].filter(([, n]) => n >= min).map(([k, n]) => [k, n / span] as const));
    return {
      keyRate: rates(keys, this.tuning.frequentInSample),
      labelRate: rates(labels, 1),
      spanMs: span,
      until: now + this.tuning.sampleTtlMs,
    };
  }
}
