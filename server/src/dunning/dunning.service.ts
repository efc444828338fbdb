import { createHash, randomUUID } from 'node:crypto';
import { Types, mongo, type AnyBulkWriteOperation } from 'mongoose';
import type { DunningAction, DunningCaseView, DunningOutcome, DunningStats } from '@ringside/shared';
import { dunningCaseQuerySchema, dunningOutcomeSchema } from '@ringside/shared';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { AuditInput, AuditService } from '../audit/audit.service';
import type { Customer } from '../customers/customer.model';
import type { Invoice } from '../billing/invoice.model';
import type { Callback } from '../callbacks/callback.model';
import type { Interaction } from '../interactions/interaction.model';
import type { CallbackService } from '../callbacks/callbacks.service';
import type { CustomerService, Viewer } from '../customers/customers.service';
import { toObjectId } from '../customers/customers.service';
import { isCallable, nextCallable } from '../callbacks/calling-hours';
import type { GuardVerdict } from '../callbacks/callback-dialer';
import { badRequest, conflict, forbidden, notFound, parseOrThrow } from '../errors';
import type { DunningCase } from './dunning-case.model';
import { DAY_MS, DEFAULT_LADDER, nextStep, round2, type LadderStep } from './ladder';
import { DocumentStore, formatDay, formatMoney, type DocumentKind, type LetterInvoice } from './documents';
import { RenderPool, defaultRenderWorkers } from './render-pool';

export interface DunningOptions {
  ladder: LadderStep[];
  /** Sender of reminders: a number, or a Messaging Service. */
  sms: { from?: string | undefined; messagingServiceSid?: string | undefined };
  /** `{name} {amount} {dueDate} {reference}` are filled in. */
  smsTemplate: string;
  queue: string;
  /** How long a claimed step belongs to the process that claimed it before others reconcile it. */
  stepLeaseMs: number;
  /** Overdue invoices read per page of the scan (the page's due-date window adapts to it). */
  invoicesPerPage: number;
  /** Cases advanced per batch (read together, written with one bulk write). */
  batchSize: number;
  /** Batches under way at once. */
  batchesInFlight: number;
  /** Messages and callbacks in flight at once, across all batches (documents have their own bound: twice the render workers). */
  concurrency: number;
  /** At most this many call attempts… */
  maxCallAttempts: number;
  /** …within this window, per case. */
  callWindowMs: number;
  /** A promise is judged this long after its date (payments take a day to show). */
  promiseGraceMs: number;
  /** The letter asks for payment within this many days. */
  letterPayDays: number;
  /** After a collections call found nobody, the next one is asked for this much later. */
  callRetryMs: number;
  /** An agent who hears "I have paid" gives the payment this long to arrive. */
  paidClaimGraceMs: number;
  /** Worker threads rendering letters and legal summaries; 0 renders them on the scan's thread. */
  renderWorkers: number;
}

export const DEFAULT_DUNNING_OPTIONS: DunningOptions = {
  ladder: DEFAULT_LADDER,
  sms: { from: '+48221002000' },
  smsTemplate:
    'Dear {name}, {amount} is overdue since {dueDate}. Please pay quoting reference {reference}. If you have paid already, please ignore this message.',
  queue: 'collections',
  stepLeaseMs: 60_000,
  invoicesPerPage: 20_000,
  batchSize: 500,
  batchesInFlight: 3,
  concurrency: 16,
  maxCallAttempts: 7,
  callWindowMs: 7 * DAY_MS,
  promiseGraceMs: DAY_MS,
  letterPayDays: 7,
  callRetryMs: DAY_MS,
  paidClaimGraceMs: 3 * DAY_MS,
  renderWorkers: defaultRenderWorkers(),
};

/** The text-message side of the Twilio adapter (TwilioProvider satisfies it). */
export interface SmsGateway {
  sendSms(request: { to: string; body: string; from?: string; messagingServiceSid?: string }): Promise<{ messageSid: string; status: string }>;
  /** Messages sent to a number since a moment: how a send whose answer was lost is reconciled. */
  listSms(query: { to: string; sentAfter: Date }): Promise<Array<{ messageSid: string; body: string; status: string }>>;
}

/** Counts per action of one scan (the answer of `POST /api/dunning/run`). */
export interface ScanReport {
  startedAt: string;
  ms: number;
  overdueInvoices: number;
  cases: { opened: number; updated: number; closed: number; live: number; due: number };
  actions: Record<string, number>;
  /**
   * Wall time of each phase, ms: reading invoices and cases, bringing cases in step after it, and
   * the steps (from the start: they begin with the reading, and end after the cases opened by it).
   */
  phases: { read: number; sync: number; steps: number };
  /**
   * Time spent in each part of the steps, summed over batches (which overlap, so the sums can
   * exceed the phase), ms: reading a batch, writing its decisions, claiming, side effects per
   * action, recording them.
   */
  stepParts: Record<string, number>;
}

type CaseDoc = DunningCase;
type CustomerDoc = Pick<Customer, '_id' | 'name' | 'phones' | 'flags' | 'timeZone' | 'address' | 'language' | 'country'>;
type InvoiceDoc = Pick<Invoice, '_id' | 'customerId' | 'currency' | 'number' | 'amount' | 'paid' | 'dueAt' | 'paymentReference'>;
type HistoryEntry = CaseDoc['history'][number];
type LiveCase = Pick<CaseDoc, '_id' | 'customerId' | 'currency' | 'amount' | 'oldestDueAt' | 'invoiceIds' | 'status' | 'stage'>;

interface Balance {
  amount: number;
  oldestDueAt: Date | undefined;
  invoices: InvoiceDoc[];
}

/** What one step does, decided from the case, the customer and the live balance. */
type Plan =
  | { kind: 'close'; reason: string }
  | { kind: 'wait'; until: Date | undefined; note?: string }
  | { kind: 'resume'; action: 'promise_kept' | 'promise_broken' | 'dispute_resolved' }
  | { kind: 'skip'; key: string; action: DunningAction; reason: string }
  | { kind: 'step'; key: string; action: DunningAction; round: number; phone?: string; body?: string }
  | { kind: 'busy' };

interface Effect {
  messageSid?: string;
  messageStatus?: string;
  reconciled?: boolean;
  callbackId?: Types.ObjectId;
  callbackDueAt?: Date;
  letterPath?: string;
  legalCaseId?: Types.ObjectId;
  legalSummaryPath?: string;
}

const OPEN_INVOICE = 0.005;
/** What the scan compares of a live case. */
const LIVE_CASE_FIELDS = { customerId: 1, currency: 1, amount: 1, oldestDueAt: 1, invoiceIds: 1, status: 1, stage: 1 } as const;
const LIVE = ['open', 'paused'] as const;
const STAGES = ['none', 'sms', 'letter', 'call', 'legal'] as const;
const FINAL_SMS = new Set(['delivered', 'undelivered', 'failed', 'read', 'canceled']);

const keyOf = (customerId: Types.ObjectId, currency: string) => `${customerId.toHexString()}|${currency}`;

/** Overdue debt of one customer in one currency, summed over its open invoices. */
export interface OverdueDebt {
  customerId: Types.ObjectId;
  currency: string;
  amount: number;
  oldest: number;
  invoiceIds: Types.ObjectId[];
}

/** Adds an open invoice to the debts by customer and currency; false when nothing is left to pay. */
export function addOverdue(
  byKey: Map<string, OverdueDebt>,
  inv: { _id: Types.ObjectId; customerId: Types.ObjectId; currency: string; amount: number; paid?: number; dueAt: Date },
): boolean {
  const open = inv.amount - (inv.paid ?? 0);
  if (open <= OPEN_INVOICE) return false;
  const key = keyOf(inv.customerId, inv.currency);
  const agg = byKey.get(key);
  if (agg) {
    agg.amount += open;
    agg.oldest = Math.min(agg.oldest, inv.dueAt.getTime());
    agg.invoiceIds.push(inv._id);
  } else {
    byKey.set(key, { customerId: inv.customerId, currency: inv.currency, amount: open, oldest: inv.dueAt.getTime(), invoiceIds: [inv._id] });
  }
  return true;
}

/**
 * No claim whose lease is still running: no `pending`, or one whose lease ended. Written as one
 * negated range, not as an `$or` of the two: the database reads every case of the collection
 * for an `$or`, even next to an `_id`, which made each claim cost as much as a full scan.
 */
const noLiveClaim = (now: Date) => ({ 'pending.leaseUntil': { $not: { $gt: now } } });

/** A deterministic ObjectId for a record that a retried step must not write twice. */
const stableId = (text: string) => new Types.ObjectId(createHash('sha1').update(text).digest().subarray(0, 12));

/** Runs `work` over `items` with at most `limit` in flight; after a failure no new item is started. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
}

/** A bound on work in flight shared by several callers: `run` waits for a free slot. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/** Bounds on side effects in flight: messages and callbacks; letters and legal summaries. */
interface EffectSlots {
  contact: Slots;
  document: Slots;
}

/**
 * The dunning ladder. A scan (the recurring job, or `POST /api/dunning/run`) keeps one live case
 * per customer and currency in step with the overdue invoices, then advances every case whose
 * next look is due. Each step re-reads what matters when it runs, not when it was planned: the
 * balance (paid → closed, nothing sent), promise to pay, dispute, do-not-call and consent,
 * calling hours in the customer's zone, and the call cap.
 *
 * Exactly once, also across crashes: a step with a side effect is first claimed on the case
 * (`pending`: its key, this process, a lease and, for a text message, its recipient and text),
 * with a conditional update that only one runner can win (`stepsDone` lacks the key and no live
 * lease exists). The effect happens next, and then one update records it (`stepsDone` gains the
 * key, `pending` goes). A runner that finds a claim whose lease ran out does not repeat it
 * blindly: for a text message it asks Twilio for messages sent to that number since the claim and
 * records the one found; letters, legal summaries and callbacks are written under keys derived
 * from the case (document id, case number, callback natural key), so doing them again finds the
 * first one instead of making another.
 */
export class DunningService {
  readonly options: DunningOptions;
  private readonly owner = randomUUID();
  private readonly documents: DocumentStore;
  private readonly renderer: RenderPool;
  private readonly stats: mongo.Collection<{ _id: string } & mongo.Document>;
  private statsCache: { value: DunningStats; until: number } | undefined;

  constructor(
    private readonly deps: {
      models: Models;
      db: mongo.Db;
      clock: Clock;
      logger: Logger;
      sms: SmsGateway;
      callbacks: Pick<CallbackService, 'scheduleFor'>;
      audit: Pick<AuditService, 'recordMany'>;
      customers: Pick<CustomerService, 'assertCanSee' | 'canSee'>;
      options?: Partial<DunningOptions>;
    },
  ) {
    this.options = { ...DEFAULT_DUNNING_OPTIONS, ...deps.options };
    this.documents = new DocumentStore(deps.db);
    this.renderer = new RenderPool({ size: this.options.renderWorkers, idleMs: 60_000 }, deps.logger);
    this.stats = deps.db.collection('dunningstats');
  }

  /** Stops the render workers (they also stop by themselves after a minute without work). */
  close(): Promise<void> {
    return this.renderer.close();
  }

  // ---------------------------------------------------------------- the scan

  /** One full scan: cases in step with the overdue invoices, then every due step. */
  async scan(opts: { signal?: AbortSignal; onProgress?: (p: { phase: string; done: number }) => void } = {}): Promise<ScanReport> {
    const started = performance.now();
    const now = this.deps.clock.now();
    const actions: Record<string, number> = {};
    const count = (action: string, n = 1) => {
      actions[action] = (actions[action] ?? 0) + n;
    };
    const stepParts: Record<string, number> = {};
    const took = (part: string, since: number) => {
      stepParts[part] = (stepParts[part] ?? 0) + (performance.now() - since);
    };
    // A few batches at once (one reads while another writes or waits on its effects); side effects
    // stay within their bounds across all of them. Documents wait for a render worker: they have
    // slots of their own, so that messages and callbacks never queue behind them.
    const effects: EffectSlots = { contact: new Slots(this.options.concurrency), document: new Slots(Math.max(2, 2 * this.options.renderWorkers)) };
    const stepped = new Map<string, { status: CaseDoc['status']; stage: CaseDoc['stage'] }>();
    const looked = new Set<string>();
    let done = 0;
    // Every live case whose next look is due and that this scan has not looked at yet.
    const advanceDue = async (signal: AbortSignal) => {
      const due: Types.ObjectId[] = [];
      for (const status of LIVE) {
        const found = await this.deps.models.DunningCase.find({ status, nextActionAt: { $lte: now } }, { _id: 1 }).lean();
        for (const c of found) if (!looked.has(c._id.toHexString())) due.push(c._id);
      }
      for (const id of due) looked.add(id.toHexString());
      const batches: Types.ObjectId[][] = [];
      for (let i = 0; i < due.length; i += this.options.batchSize) batches.push(due.slice(i, i + this.options.batchSize));
      await inParallel(batches, this.options.batchesInFlight, async (batch) => {
        signal.throwIfAborted();
        let ids = batch;
        // A case resumed in this pass (promise broken, dispute settled) takes its step at once.
        for (let pass = 0; pass < 2 && ids.length; pass++) {
          const { again, states } = await this.advance(ids, now, { count, took }, effects);
          for (const [id, state] of states) stepped.set(id, state);
          ids = again;
        }
        done += batch.length;
        opts.onProgress?.({ phase: 'steps', done });
      });
    };

    // The cases due now are advanced while the overdue invoices are read and the cases brought in
    // step: every step reads the balance it acts on itself, so neither needs the other first (and a
    // case with a step under way is not closed under it). The invoices and the live cases are read
    // at once too: the database builds one answer while this process reads the other.
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const early = advanceDue(signal);
    early.catch(() => undefined); // awaited below, or stopped when reading fails
    let read = 0;
    let synced = 0;
    let sync: Awaited<ReturnType<DunningService['syncCases']>>;
    let overdue: Awaited<ReturnType<DunningService['readOverdue']>>;
    try {
      const [invoices, liveCases] = await Promise.all([this.readOverdue(now, { signal }), this.readLiveCases()]);
      overdue = invoices;
      read = performance.now();
      sync = await this.syncCases(overdue.byKey, liveCases, now, count);
      synced = performance.now();
    } catch (err) {
      stop.abort(err);
      await early.catch(() => undefined);
      throw err;
    }
    opts.onProgress?.({ phase: 'cases', done: sync.live.size });
    await early;
    // The cases this scan opened whose first rung is due already (a debt found late).
    await advanceDue(signal);
    for (const [id, state] of stepped) {
      if (state.status === 'closed') sync.live.delete(id);
      else sync.live.set(id, state);
    }
    await this.storeFigures(sync.live, now);
    return {
      startedAt: now.toISOString(),
      ms: Math.round(performance.now() - started),
      overdueInvoices: overdue.invoices,
      cases: { opened: sync.opened, updated: sync.updated, closed: sync.closed, live: sync.live.size, due: looked.size },
      actions,
      phases: { read: Math.round(read - started), sync: Math.round(synced - read), steps: Math.round(performance.now() - started) },
      stepParts: Object.fromEntries(Object.entries(stepParts).map(([part, ms]) => [part, Math.round(ms)])),
    };
  }

  /**
   * Overdue open invoices, aggregated per customer and currency. Read in due-date windows going
   * back from now (an indexed range each, sized to about `invoicesPerPage`): the database builds
   * a query's whole result before answering, so one query over everything would hold it all.
   */
  private async readOverdue(now: Date, opts: { signal?: AbortSignal }) {
    const byKey = new Map<string, OverdueDebt>();
    const target = this.options.invoicesPerPage;
    let end = now.getTime();
    let span = 7 * DAY_MS;
    let invoices = 0;
    const horizon = now.getTime() - 30 * 365 * DAY_MS;
    const read = (start: number, end: number) => {
      const page = this.deps.models.Invoice.find({ status: 'open', dueAt: { $gte: new Date(start), $lt: new Date(end) } }, { customerId: 1, currency: 1, amount: 1, paid: 1, dueAt: 1 })
        .lean()
        .batchSize(10_000)
        .exec();
      // Awaited below; a page read ahead of an aborted scan must not fail unheard.
      page.catch(() => undefined);
      return page;
    };
    let start = Math.max(horizon, end - span);
    let next = read(start, end);
    while (end > horizon) {
      opts.signal?.throwIfAborted();
      const page = await next;
      end = start;
      // Wider windows where invoices are sparse (and far into the past), narrower where dense.
      if (page.length < target / 4) span *= page.length === 0 ? 4 : 2;
      else if (page.length > target) span = Math.max(3_600_000, span / 2);
      // The database builds the next page while this one is added up.
      start = Math.max(horizon, end - span);
      if (end > horizon) next = read(start, end);
      for (const inv of page) {
        if (addOverdue(byKey, inv)) invoices += 1;
      }
    }
    return { byKey, invoices };
  }

  /** The live cases with what the scan compares, one indexed query per status and stage. */
  private async readLiveCases(): Promise<LiveCase[][]> {
    const parts: LiveCase[][] = [];
    for (const status of LIVE) {
      for (const stage of STAGES) {
        parts.push(await this.deps.models.DunningCase.find({ status, stage }, LIVE_CASE_FIELDS).lean<LiveCase[]>());
      }
    }
    return parts;
  }

  /** Opens, updates and closes cases so that there is one live case per overdue customer and currency. */
  private async syncCases(
    byKey: Map<string, OverdueDebt>,
    liveCases: LiveCase[][],
    now: Date,
    count: (action: string, n?: number) => void,
  ) {
    const { models } = this.deps;
    const firstDay = this.options.ladder[0]?.day ?? 0;
    const live = new Map<string, { status: CaseDoc['status']; stage: CaseDoc['stage'] }>();
    const updates: AnyBulkWriteOperation<CaseDoc>[] = [];
    const closing: Array<{ _id: Types.ObjectId; amount: number; currency: string; customerId: Types.ObjectId; reason: string }> = [];
    const seen = new Set<string>();
    // The live cases are read in parts (status and stage) while this scan's steps move some of them
    // from one part to another: a case read twice is one case, not a duplicate, and one missed is
    // found below before a case is opened in its place.
    const read = new Set<string>();
    let updated = 0;
    const paidDown: Array<{ _id: Types.ObjectId; currency: string; paid: number }> = [];
    const scan = randomUUID();
    /** Keeps a live case's amount and invoices in step with its overdue debt. */
    const bringInStep = (c: LiveCase, agg: OverdueDebt) => {
      live.set(c._id.toHexString(), { status: c.status, stage: c.stage });
      const amount = round2(agg.amount);
      const sameInvoices = c.invoiceIds.length === agg.invoiceIds.length && agg.invoiceIds.every((id) => c.invoiceIds.some((x) => x.equals(id)));
      if (Math.abs(amount - c.amount) < OPEN_INVOICE && sameInvoices && c.oldestDueAt.getTime() === agg.oldest) return;
      updated += 1;
      const paid = round2(c.amount - amount);
      if (paid > 0) paidDown.push({ _id: c._id, currency: c.currency, paid });
      updates.push({
        updateOne: {
          // Only from the amount read: of two scans at once, one records the payment.
          filter: { _id: c._id, amount: c.amount },
          update: {
            $set: { amount, oldestDueAt: new Date(agg.oldest), invoiceIds: agg.invoiceIds },
            ...(paid > 0 ? { $push: { history: { at: now, action: 'payment_received', details: { from: c.amount, to: amount, scan } } } } : {}),
          },
        },
      });
    };
    for (const cases of liveCases) {
      for (const c of cases) {
        if (read.has(c._id.toHexString())) continue;
        read.add(c._id.toHexString());
        const key = keyOf(c.customerId, c.currency);
        const agg = byKey.get(key);
        if (!agg || seen.has(key)) {
          closing.push({ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId, reason: agg ? 'duplicate' : 'paid' });
          continue;
        }
        seen.add(key);
        bringInStep(c, agg);
      }
    }
    // New cases, numbered after the customer's earlier cases in that currency.
    const fresh = [...byKey.entries()].filter(([key]) => !seen.has(key));
    const earlier = new Map<string, number>();
    for (let i = 0; i < fresh.length; i += 5000) {
      const ids = [...new Set(fresh.slice(i, i + 5000).map(([, agg]) => agg.customerId.toHexString()))].map((id) => new Types.ObjectId(id));
      for (const c of await models.DunningCase.find({ customerId: { $in: ids } }, LIVE_CASE_FIELDS).lean<LiveCase[]>()) {
        const key = keyOf(c.customerId, c.currency);
        earlier.set(key, (earlier.get(key) ?? 0) + 1);
        const agg = byKey.get(key);
        if (agg && c.status !== 'closed' && !seen.has(key)) {
          // Live after all: it moved while the live cases were read.
          seen.add(key);
          bringInStep(c, agg);
        }
      }
    }
    const inserts: Array<Partial<CaseDoc>> = [];
    for (const [key, agg] of fresh) {
      if (seen.has(key)) continue;
      const amount = round2(agg.amount);
      inserts.push({
        _id: new Types.ObjectId(),
        customerId: agg.customerId,
        currency: agg.currency,
        caseKey: `${key}|${(earlier.get(key) ?? 0) + 1}`,
        status: 'open',
        stage: 'none',
        invoiceIds: agg.invoiceIds,
        amount,
        oldestDueAt: new Date(agg.oldest),
        history: [{ at: now, action: 'opened', details: { amount, invoices: agg.invoiceIds.length } }],
        stepsDone: [],
        callAttempts: [],
        messages: [],
        callRounds: 0,
        openedAt: now,
        // Looked at when the first rung is due (at once for a debt found late).
        nextActionAt: new Date(agg.oldest + firstDay * DAY_MS),
      });
    }
    let opened = 0;
    for (let i = 0; i < inserts.length; i += 5000) {
      const chunk = inserts.slice(i, i + 5000);
      const ok = await this.insertIgnoringDuplicates(chunk);
      opened += ok.length;
      for (const c of ok) live.set(c._id?.toHexString() ?? '', { status: 'open', stage: 'none' });
      await this.auditMany(ok.map((c) => ({ action: 'dunning.opened', entity: 'dunning_case', entityId: c._id?.toHexString(), details: { customerId: c.customerId?.toHexString(), amount: c.amount, currency: c.currency } })));
    }
    count('opened', opened);
    for (let i = 0; i < updates.length; i += 5000) await models.DunningCase.bulkWrite(updates.slice(i, i + 5000), { ordered: false });
    // What came in, counted for the payments this scan recorded (its own history entries).
    const recovered: Record<string, number> = {};
    for (let i = 0; i < paidDown.length; i += 5000) {
      const chunk = paidDown.slice(i, i + 5000);
      const ours = await models.DunningCase.find({ _id: { $in: chunk.map((x) => x._id) }, history: { $elemMatch: { action: 'payment_received', 'details.scan': scan } } }, { _id: 1 }).lean();
      const recorded = new Set(ours.map((c) => c._id.toHexString()));
      for (const x of chunk) if (recorded.has(x._id.toHexString())) recovered[x.currency] = (recovered[x.currency] ?? 0) + x.paid;
    }
    await this.recovered(recovered);
    // Cases with nothing overdue left: paid (or credited). Closed, nothing more is sent.
    let closed = 0;
    for (const reason of ['paid', 'duplicate']) {
      const some = closing.filter((x) => x.reason === reason);
      for (let i = 0; i < some.length; i += 1000) closed += await this.closeMany(some.slice(i, i + 1000), now, reason);
    }
    count('closed_paid', closed);
    return { live, opened, updated, closed };
  }

  private async insertIgnoringDuplicates(docs: Array<Partial<CaseDoc>>): Promise<Array<Partial<CaseDoc>>> {
    if (!docs.length) return [];
    try {
      await this.deps.models.DunningCase.insertMany(docs, { ordered: false, lean: true });
      return docs;
    } catch (err) {
      // Another scan opened some of them first (the unique live-case index): keep ours only.
      if (!(err instanceof mongo.MongoBulkWriteError) || err.writeErrors === undefined) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (errors.some((e) => e.code !== 11000)) throw err;
      const failed = new Set(errors.map((e) => e.index));
      return docs.filter((_, i) => !failed.has(i));
    }
  }

  /**
   * Closes live cases (one conditional update each, in one bulk write); their waiting callbacks are
   * cancelled. A case with a step claimed and still under way is left open: closing it would drop
   * the record of that step, and the next look closes it.
   */
  private async closeMany(cases: Array<{ _id: Types.ObjectId; amount: number; currency: string; customerId: Types.ObjectId }>, now: Date, reason: string): Promise<number> {
    if (!cases.length) return 0;
    const { models } = this.deps;
    const token = randomUUID();
    const res = await models.DunningCase.bulkWrite(
      cases.map((c) => ({
        updateOne: {
          filter: { _id: c._id, status: { $in: [...LIVE] }, ...noLiveClaim(now) },
          update: {
            $set: { status: 'closed' as const, closedAt: now, closedReason: reason, amount: 0 },
            $unset: { nextActionAt: 1, pending: 1, pausedReason: 1 },
            $push: { history: { at: now, action: 'closed', outcome: reason, details: { by: token } } },
          },
        },
      })),
      { ordered: false },
    );
    // What follows is for the cases closed here only (not those closed before, or left open).
    let closed = cases;
    if (res.modifiedCount < cases.length) {
      const ours = new Set(
        (await models.DunningCase.find({ _id: { $in: cases.map((c) => c._id) }, history: { $elemMatch: { action: 'closed', 'details.by': token } } }, { _id: 1 }).lean()).map((c) => c._id.toHexString()),
      );
      closed = cases.filter((c) => ours.has(c._id.toHexString()));
    }
    if (!closed.length) return 0;
    await models.Callback.updateMany(
      { dunningCaseId: { $in: closed.map((c) => c._id) }, status: { $in: ['scheduled', 'offered'] } },
      { $set: { status: 'cancelled' }, $push: { attempts: { at: now, outcome: `cancelled: dunning case closed (${reason})` } } },
    );
    if (reason === 'paid') {
      const amounts: Record<string, number> = {};
      for (const c of closed) if (c.amount > 0) amounts[c.currency] = (amounts[c.currency] ?? 0) + c.amount;
      await this.recovered(amounts);
    }
    await this.auditMany(closed.map((c) => ({ action: 'dunning.closed', entity: 'dunning_case', entityId: c._id.toHexString(), details: { reason, customerId: c.customerId.toHexString() } })));
    return closed.length;
  }

  // ---------------------------------------------------------------- advancing cases

  /** Reads what a batch of cases needs in three queries. */
  private async load(ids: Types.ObjectId[], now: Date) {
    const { models } = this.deps;
    const cases = await models.DunningCase.find({ _id: { $in: ids } }).lean();
    const customerIds = [...new Set(cases.map((c) => c.customerId.toHexString()))].map((id) => new Types.ObjectId(id));
    const roundKeys = cases.filter((c) => c.callRounds > 0).map((c) => this.callKey(c._id, c.callRounds));
    const disputeIds = cases.flatMap((c) => (c.status === 'paused' && c.pausedReason === 'dispute' && c.disputeCaseId ? [c.disputeCaseId] : []));
    const [customers, invoices, callbacks, disputes] = await Promise.all([
      models.Customer.find({ _id: { $in: customerIds } }, { name: 1, phones: 1, flags: 1, timeZone: 1, address: 1, language: 1, country: 1 }).lean(),
      models.Invoice.find(
        { customerId: { $in: customerIds }, status: 'open', dueAt: { $lt: now } },
        { customerId: 1, currency: 1, number: 1, amount: 1, paid: 1, dueAt: 1, paymentReference: 1 },
      ).lean(),
      roundKeys.length ? models.Callback.find({ naturalKey: { $in: roundKeys } }, { naturalKey: 1, status: 1, dueAt: 1, attempts: 1, phone: 1 }).lean() : [],
      disputeIds.length ? models.Case.find({ _id: { $in: disputeIds } }, { status: 1 }).lean() : [],
    ]);
    const byCustomer = new Map<string, InvoiceDoc[]>();
    for (const inv of invoices) {
      const list = byCustomer.get(inv.customerId.toHexString()) ?? [];
      list.push(inv);
      byCustomer.set(inv.customerId.toHexString(), list);
    }
    return {
      cases,
      customers: new Map(customers.map((c) => [c._id.toHexString(), c as CustomerDoc])),
      invoicesOf: (c: CaseDoc) => (byCustomer.get(c.customerId.toHexString()) ?? []).filter((i) => i.currency === c.currency),
      callbacks: new Map(callbacks.map((cb) => [cb.naturalKey, cb])),
      disputes: new Map(disputes.map((d) => [d._id.toHexString(), d.status])),
    };
  }

  private callKey(caseId: Types.ObjectId, round: number): string {
    return `dunning|${caseId.toHexString()}|call|${round}`;
  }

  /** What the case owes now: open overdue invoices in its currency, read when the step runs. */
  private balance(invoices: InvoiceDoc[]): Balance {
    let amount = 0;
    let oldest: Date | undefined;
    const open: InvoiceDoc[] = [];
    for (const inv of invoices) {
      const left = inv.amount - (inv.paid ?? 0);
      if (left <= OPEN_INVOICE) continue;
      amount += left;
      open.push(inv);
      if (!oldest || inv.dueAt < oldest) oldest = inv.dueAt;
    }
    open.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    return { amount: round2(amount), oldestDueAt: oldest, invoices: open };
  }

  /** The numbers we may text (mobile) or call, without those found to be wrong. */
  private phonesOf(customer: CustomerDoc, kind: 'sms' | 'call'): string[] {
    const usable = customer.phones.filter((p) => !p.wrongNumber && (kind === 'call' || p.type === 'mobile'));
    return usable.map((p) => p.e164);
  }

  private smsBody(customer: CustomerDoc, currency: string, balance: Balance): string {
    const oldest = balance.invoices[0];
    const fill: Record<string, string> = {
      name: customer.name,
      amount: formatMoney(balance.amount, currency),
      dueDate: balance.oldestDueAt ? formatDay(balance.oldestDueAt, customer.timeZone) : '',
      reference: oldest?.paymentReference ?? '',
    };
    return this.options.smsTemplate.replace(/\{(\w+)\}/g, (m, k: string) => fill[k] ?? m);
  }

  /** Decides the next thing to do for one case, from what is true now. */
  private plan(c: CaseDoc, customer: CustomerDoc | undefined, balance: Balance, ctx: Awaited<ReturnType<DunningService['load']>>, now: Date): Plan {
    if (c.status === 'closed') return { kind: 'wait', until: undefined };
    if (!customer) return { kind: 'close', reason: 'customer removed' };
    if (balance.amount <= 0) return { kind: 'close', reason: 'paid' };
    const lease = c.pending && c.pending.leaseUntil > now ? c.pending : undefined;
    if (lease) return { kind: 'busy' };

    if (c.status === 'paused') {
      if (c.pausedReason === 'promise' && c.promiseToPay) {
        const judgeAt = new Date(c.promiseToPay.date.getTime() + this.options.promiseGraceMs);
        if (now < judgeAt) return { kind: 'wait', until: judgeAt };
        const paidSince = round2((c.balanceAtPromise ?? c.amount) - balance.amount);
        return { kind: 'resume', action: paidSince + OPEN_INVOICE >= c.promiseToPay.amount ? 'promise_kept' : 'promise_broken' };
      }
      if (c.pausedReason === 'dispute') {
        const state = c.disputeCaseId ? ctx.disputes.get(c.disputeCaseId.toHexString()) : 'closed';
        if (state === 'closed') return { kind: 'resume', action: 'dispute_resolved' };
        return { kind: 'wait', until: new Date(now.getTime() + DAY_MS) };
      }
      return { kind: 'resume', action: 'dispute_resolved' };
    }

    const zone = customer.timeZone;
    const flags = customer.flags ?? { doNotCall: false, smsConsent: true, doNotSms: false };
    // A claim left by a stopped process: finish that step (reconciling) before anything else.
    if (c.pending) {
      const action = c.pending.key.split(':')[0] as DunningAction;
      const round = action === 'call' ? Number(c.pending.key.split(':')[1] ?? 1) : 0;
      return { kind: 'step', key: c.pending.key, action, round, ...(c.pending.to ? { phone: c.pending.to } : {}), ...(c.pending.body ? { body: c.pending.body } : {}) };
    }
    const next = nextStep(this.options.ladder, { oldestDueAt: balance.oldestDueAt ?? c.oldestDueAt, stepsDone: c.stepsDone, lastStepAt: c.lastStepAt });

    // In the call stage, until the next rung: another call when the last one found nobody.
    if (c.stage === 'call' && c.callRounds > 0 && (!next || next.dueAt > now)) {
      const last = ctx.callbacks.get(this.callKey(c._id, c.callRounds));
      const lastEnded = last && (last.status === 'failed' || last.status === 'cancelled');
      // When the last call's latest attempt happened (the case's clock, like every time here).
      const lastAt = last ? (last.attempts.at(-1)?.at ?? last.dueAt) : now;
      const wrongNumberSince = c.history.some((h) => h.action === 'wrong_number' && last && h.at >= last.dueAt);
      const revisit = next ? new Date(Math.min(next.dueAt.getTime(), now.getTime() + DAY_MS)) : new Date(now.getTime() + DAY_MS);
      // A call that reached the customer is done with until the next rung: nothing changes it
      // meanwhile (an outcome the agent records brings the case back by itself). Calls not yet
      // ended are looked at daily, to call again when one ends without reaching anybody.
      if (last?.status === 'completed' && !wrongNumberSince) return { kind: 'wait', until: next?.dueAt };
      if (!last || !(lastEnded || wrongNumberSince)) return { kind: 'wait', until: revisit };
      if (!wrongNumberSince && lastAt.getTime() + this.options.callRetryMs > now.getTime()) {
        return { kind: 'wait', until: new Date(lastAt.getTime() + this.options.callRetryMs) };
      }
      const round = c.callRounds + 1;
      const gate = this.callGate(c, customer, now);
      if (gate.kind !== 'ok') return gate.kind === 'skip' ? { kind: 'wait', until: revisit, note: gate.reason } : { kind: 'wait', until: gate.until };
      return { kind: 'step', key: `call:${round}`, action: 'call', round, phone: gate.phone };
    }

    if (!next) return { kind: 'wait', until: undefined };
    if (next.dueAt > now) return { kind: 'wait', until: next.dueAt };
    const key = next.step.action;
    switch (next.step.action) {
      case 'sms': {
        if (flags.doNotCall || flags.doNotSms || !flags.smsConsent) return { kind: 'skip', key, action: 'sms', reason: flags.doNotCall ? 'do-not-call' : flags.doNotSms ? 'do-not-SMS' : 'no SMS consent' };
        const phone = this.phonesOf(customer, 'sms')[0];
        if (!phone) return { kind: 'skip', key, action: 'sms', reason: 'no mobile number' };
        // Text messages, like calls, only inside the customer's calling hours.
        if (!isCallable(now, zone)) return { kind: 'wait', until: nextCallable(now, zone) };
        return { kind: 'step', key, action: 'sms', round: 0, phone, body: this.smsBody(customer, c.currency, balance) };
      }
      case 'call': {
        const gate = this.callGate(c, customer, now);
        if (gate.kind === 'skip') return { kind: 'skip', key, action: 'call', reason: gate.reason };
        if (gate.kind === 'wait') return { kind: 'wait', until: gate.until };
        return { kind: 'step', key: 'call', action: 'call', round: 1, phone: gate.phone };
      }
      default:
        return { kind: 'step', key, action: next.step.action, round: 0 };
    }
  }

  /** Whether a collections call may be asked for now: do-not-call, a number to call, the cap. */
  private callGate(c: CaseDoc, customer: CustomerDoc, now: Date): { kind: 'ok'; phone: string } | { kind: 'skip'; reason: string } | { kind: 'wait'; until: Date } {
    if (customer.flags?.doNotCall) return { kind: 'skip', reason: 'do-not-call' };
    const phone = this.phonesOf(customer, 'call')[0];
    if (!phone) return { kind: 'skip', reason: 'no number to call' };
    const recent = c.callAttempts.filter((a) => a.getTime() > now.getTime() - this.options.callWindowMs).sort((a, b) => a.getTime() - b.getTime());
    if (recent.length >= this.options.maxCallAttempts) return { kind: 'wait', until: new Date((recent[0] as Date).getTime() + this.options.callWindowMs) };
    return { kind: 'ok', phone };
  }

  /**
   * Advances a batch of cases by one step each: plans from fresh reads, writes the plans that
   * need no side effect in one bulk write, claims the others in one bulk write, performs the
   * claimed effects (a few at a time) and records them in one more bulk write.
   */
  private async advance(
    ids: Types.ObjectId[],
    now: Date,
    { count, took }: { count: (action: string, n?: number) => void; took: (part: string, since: number) => void },
    effects: EffectSlots,
  ) {
    const { models } = this.deps;
    let since = performance.now();
    const ctx = await this.load(ids, now);
    took('read', since);
    const direct: AnyBulkWriteOperation<CaseDoc>[] = [];
    const toClose: Array<{ _id: Types.ObjectId; amount: number; currency: string; customerId: Types.ObjectId; reason: string }> = [];
    const claims: Array<{ c: CaseDoc; customer: CustomerDoc; balance: Balance; plan: Extract<Plan, { kind: 'step' }> }> = [];
    const audits: AuditInput[] = [];
    const again: Types.ObjectId[] = [];
    const states = new Map<string, { status: CaseDoc['status']; stage: CaseDoc['stage'] }>();
    const promises: Partial<Record<'promisesKept' | 'promisesBroken', number>> = {};
    const waits = new Map<string, { status: CaseDoc['status']; until: Date; ids: Types.ObjectId[] }>();

    for (const c of ctx.cases) {
      const customer = ctx.customers.get(c.customerId.toHexString());
      const balance = this.balance(ctx.invoicesOf(c));
      const plan = this.plan(c, customer, balance, ctx, now);
      const id = c._id.toHexString();
      const notPending = noLiveClaim(now);
      switch (plan.kind) {
        case 'busy':
          count('in_progress_elsewhere');
          break;
        case 'close':
          toClose.push({ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId, reason: plan.reason });
          states.set(id, { status: 'closed', stage: c.stage });
          break;
        case 'wait':
          if (c.status === 'closed') break;
          count(c.status === 'paused' ? 'still_paused' : 'waiting');
          if (plan.until) {
            // Most looks only move the next one (calls under way, every day): one update for all alike.
            const group = `${c.status}|${plan.until.getTime()}`;
            const alike = waits.get(group) ?? { status: c.status, until: plan.until, ids: [] };
            alike.ids.push(c._id);
            waits.set(group, alike);
            states.set(id, { status: c.status, stage: c.stage });
            break;
          }
          direct.push({
            updateOne: {
              filter: { _id: c._id, status: c.status },
              update: { $unset: { nextActionAt: 1 } },
            },
          });
          states.set(id, { status: c.status, stage: c.stage });
          break;
        case 'resume': {
          count(plan.action);
          if (plan.action === 'promise_kept') promises.promisesKept = (promises.promisesKept ?? 0) + 1;
          if (plan.action === 'promise_broken') promises.promisesBroken = (promises.promisesBroken ?? 0) + 1;
          direct.push({
            updateOne: {
              filter: { _id: c._id, status: 'paused' },
              update: {
                $set: { status: 'open', nextActionAt: now },
                $unset: { pausedReason: 1, ...(plan.action === 'dispute_resolved' ? {} : { promiseToPay: 1, balanceAtPromise: 1 }) },
                $push: { history: { at: now, action: plan.action, details: c.promiseToPay ? { promised: c.promiseToPay.amount, by: c.promiseToPay.date } : undefined } },
              },
            },
          });
          audits.push({ action: `dunning.${plan.action}`, entity: 'dunning_case', entityId: id, details: { balance: balance.amount } });
          states.set(id, { status: 'open', stage: c.stage });
          again.push(c._id);
          break;
        }
        case 'skip':
          count(`${plan.action}_skipped`);
          direct.push({
            updateOne: {
              filter: { _id: c._id, status: 'open', stepsDone: { $ne: plan.key }, ...notPending },
              update: {
                $addToSet: { stepsDone: plan.key },
                $set: { lastStepAt: now, nextActionAt: now },
                $push: { history: { at: now, action: `${plan.action}_skipped`, outcome: plan.reason } },
              },
            },
          });
          audits.push({ action: `dunning.${plan.action}_skipped`, entity: 'dunning_case', entityId: id, details: { reason: plan.reason } });
          states.set(id, { status: c.status, stage: c.stage });
          again.push(c._id);
          break;
        case 'step':
          if (customer) claims.push({ c, customer, balance, plan });
          break;
      }
    }
    since = performance.now();
    if (direct.length) await models.DunningCase.bulkWrite(direct, { ordered: false });
    for (const { status, until, ids: alike } of waits.values()) {
      await models.DunningCase.updateMany({ _id: { $in: alike }, status }, { $set: { nextActionAt: until } });
    }
    await this.bump(promises);
    for (const reason of new Set(toClose.map((x) => x.reason))) {
      const closed = await this.closeMany(toClose.filter((x) => x.reason === reason), now, reason);
      count(reason === 'paid' ? 'closed_paid' : 'closed', closed);
    }

    took('decisions', since);
    since = performance.now();
    // Claims: one conditional update per case; read back which ones this runner won.
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + this.options.stepLeaseMs);
    if (claims.length) {
      await models.DunningCase.bulkWrite(
        claims.map(({ c, plan }) => ({
          updateOne: {
            filter: {
              _id: c._id,
              status: 'open',
              stepsDone: { $ne: plan.key },
              ...noLiveClaim(now),
            },
            update: {
              $set: {
                pending: {
                  key: plan.key,
                  owner: `${this.owner}/${token}`,
                  startedAt: this.stepStartedAt(c, plan, now),
                  leaseUntil,
                  ...(plan.phone ? { to: plan.phone } : {}),
                  ...(plan.body ? { body: plan.body } : {}),
                },
              },
            },
          },
        })),
        { ordered: false },
      );
    }
    const won = claims.length
      ? new Set((await models.DunningCase.find({ _id: { $in: claims.map((x) => x.c._id) }, 'pending.owner': `${this.owner}/${token}` }, { _id: 1 }).lean()).map((c) => c._id.toHexString()))
      : new Set<string>();

    took('claims', since);
    since = performance.now();
    const results: AnyBulkWriteOperation<CaseDoc>[] = [];
    const interactions: Array<Partial<Interaction>> = [];
    await Promise.all(
      claims.filter((x) => won.has(x.c._id.toHexString())).map(({ c, customer, balance, plan }) => effects[plan.action === 'letter' || plan.action === 'legal' ? 'document' : 'contact'].run(async () => {
        const id = c._id.toHexString();
        try {
          const started = performance.now();
          const effect = await this.perform(c, customer, balance, plan, now);
          took(`effect:${plan.action}`, started);
          count(effect.reconciled ? `${plan.action}_reconciled` : plan.action);
          const entry: HistoryEntry = { at: now, action: plan.action, stage: plan.action, details: this.effectDetails(plan, effect, balance) };
          const round = plan.action === 'call' ? { callRounds: plan.round } : {};
          const next = this.nextLook(c, plan, balance, now);
          results.push({
            updateOne: {
              filter: { _id: c._id, 'pending.owner': `${this.owner}/${token}` },
              update: {
                $addToSet: { stepsDone: plan.key },
                $set: {
                  stage: plan.action,
                  // The ladder's spacing counts from when a rung was taken, not from later rounds
                  // of its calls (daily calls that find nobody must not hold off the next rung).
                  ...(isRung(plan) ? { lastStepAt: this.stepStartedAt(c, plan, now) } : {}),
                  ...round,
                  ...(effect.letterPath ? { letterPath: effect.letterPath } : {}),
                  ...(effect.legalCaseId ? { legalCaseId: effect.legalCaseId, legalSummaryPath: effect.legalSummaryPath } : {}),
                  ...(next ? { nextActionAt: next } : {}),
                },
                $unset: { pending: 1, ...(next ? {} : { nextActionAt: 1 }) },
                $push: {
                  history: entry,
                  ...(effect.messageSid
                    ? { messages: { sid: effect.messageSid, step: plan.key, to: plan.phone ?? '', body: plan.body ?? '', status: effect.messageStatus ?? 'queued', sentAt: now } }
                    : {}),
                },
              },
            },
          });
          audits.push({ action: `dunning.${plan.action}`, entity: 'dunning_case', entityId: id, details: { ...entry.details as object, customerId: c.customerId.toHexString(), ...(effect.reconciled ? { reconciled: true } : {}) } });
          if (plan.action === 'sms' || plan.action === 'letter') {
            interactions.push({
              _id: stableId(`${id}:${plan.key}:interaction`),
              customerId: c.customerId,
              type: plan.action,
              direction: 'outbound',
              at: now,
              summary: plan.action === 'sms' ? `Payment reminder (SMS to ${plan.phone}): ${formatMoney(balance.amount, c.currency)} overdue.` : `Payment reminder letter: ${formatMoney(balance.amount, c.currency)} overdue.`,
            });
          }
          states.set(id, { status: 'open', stage: plan.action });
        } catch (err) {
          count(`${plan.action}_failed`);
          this.deps.logger.warn({ err, caseId: id, step: plan.key }, 'dunning step failed; it will be tried again');
          // A refusal we are sure of frees the step for the next scan; anything else waits for the lease.
          if (isDefiniteRefusal(err)) {
            results.push({
              updateOne: {
                filter: { _id: c._id, 'pending.owner': `${this.owner}/${token}` },
                update: { $unset: { pending: 1 }, $set: { nextActionAt: new Date(now.getTime() + DAY_MS) }, $push: { history: { at: now, action: `${plan.action}_failed`, outcome: errorText(err) } } },
              },
            });
          }
          audits.push({ action: `dunning.${plan.action}_failed`, entity: 'dunning_case', entityId: id, details: { error: errorText(err) } });
          states.set(id, { status: c.status, stage: c.stage });
        }
      })),
    );
    took('effects', since);
    since = performance.now();
    if (interactions.length) {
      await models.Interaction.insertMany(interactions, { ordered: false }).catch((err: unknown) => {
        if (!(err instanceof mongo.MongoBulkWriteError)) throw err;
      });
    }
    if (results.length) await models.DunningCase.bulkWrite(results, { ordered: false });
    await this.auditMany(audits);
    took('records', since);
    return { again, states };
  }

  /** When to look at a case again after a step: the next rung, and daily while calls are under way. */
  private nextLook(c: CaseDoc, plan: Extract<Plan, { kind: 'step' }>, balance: Balance, now: Date): Date | undefined {
    const lastStepAt = isRung(plan) ? this.stepStartedAt(c, plan, now) : c.lastStepAt;
    const after = nextStep(this.options.ladder, { oldestDueAt: balance.oldestDueAt ?? c.oldestDueAt, stepsDone: [...c.stepsDone, plan.key], lastStepAt });
    if (plan.action === 'call') return new Date(Math.min(after?.dueAt.getTime() ?? Infinity, now.getTime() + DAY_MS));
    return after?.dueAt;
  }

  /** When a step began: now, or when the claim of a stopped process that is finished now was made. */
  private stepStartedAt(c: CaseDoc, plan: Extract<Plan, { kind: 'step' }>, now: Date): Date {
    return c.pending?.key === plan.key ? c.pending.startedAt : now;
  }

  private effectDetails(plan: Extract<Plan, { kind: 'step' }>, effect: Effect, balance: Balance): Record<string, unknown> {
    return {
      amount: balance.amount,
      ...(plan.phone ? { to: plan.phone } : {}),
      ...(effect.messageSid ? { messageSid: effect.messageSid } : {}),
      ...(effect.callbackId ? { callbackId: effect.callbackId.toHexString(), dueAt: effect.callbackDueAt, round: plan.round } : {}),
      ...(effect.letterPath ? { letter: effect.letterPath } : {}),
      ...(effect.legalCaseId ? { legalCaseId: effect.legalCaseId.toHexString() } : {}),
    };
  }

  /** The side effect of a claimed step. Safe to run again for the same claim (see the class comment). */
  private async perform(c: CaseDoc, customer: CustomerDoc, balance: Balance, plan: Extract<Plan, { kind: 'step' }>, now: Date): Promise<Effect> {
    const id = c._id.toHexString();
    switch (plan.action) {
      case 'sms': {
        const to = plan.phone ?? '';
        const body = plan.body ?? '';
        if (c.pending?.key === plan.key) {
          // Claimed before by a process that stopped: was it sent?
          const sent = (await this.deps.sms.listSms({ to, sentAfter: new Date(c.pending.startedAt.getTime() - 60_000) })).find((m) => m.body === body);
          if (sent) return { messageSid: sent.messageSid, messageStatus: sent.status, reconciled: true };
        }
        const { sms } = this.options;
        const res = await this.deps.sms.sendSms({ to, body, ...(sms.messagingServiceSid ? { messagingServiceSid: sms.messagingServiceSid } : { from: sms.from ?? '' }) });
        return { messageSid: res.messageSid, messageStatus: res.status };
      }
      case 'letter': {
        const invoices = balance.invoices.map(toLetterInvoice);
        const pdf = await this.renderer.render({
          kind: 'letter',
          input: {
            customer: { name: customer.name, address: customer.address, timeZone: customer.timeZone, language: customer.language },
            currency: c.currency,
            invoices,
            total: balance.amount,
            at: now,
            caseRef: caseRef(c._id),
            payBy: new Date(now.getTime() + this.options.letterPayDays * DAY_MS),
          },
        });
        await this.documents.putOnce({ caseId: c._id, kind: 'letter', filename: `reminder-${caseRef(c._id)}.pdf`, contentType: 'application/pdf', createdAt: now, data: pdf });
        return { letterPath: `/api/dunning/cases/${id}/letter` };
      }
      case 'call': {
        const { callback } = await this.deps.callbacks.scheduleFor({
          customer: { _id: c.customerId, timeZone: customer.timeZone },
          phone: plan.phone ?? '',
          queue: this.options.queue,
          reason: `Overdue ${formatMoney(balance.amount, c.currency)} since ${formatDay(balance.oldestDueAt ?? c.oldestDueAt, customer.timeZone)} (dunning)`.slice(0, 200),
          source: 'dunning',
          dueAt: now,
          naturalKey: this.callKey(c._id, plan.round),
          dunningCaseId: c._id,
        });
        return { callbackId: callback._id, callbackDueAt: callback.dueAt };
      }
      case 'legal': {
        const legalCaseId = await this.openLegalCase(c, customer, balance, now);
        const full = await this.deps.models.DunningCase.findById(c._id, { history: 1, promiseToPay: 1, openedAt: 1 }).lean();
        const pdf = await this.renderer.render({
          kind: 'legal-summary',
          input: {
            customer: { name: customer.name, id: customer._id.toHexString(), address: customer.address, timeZone: customer.timeZone, phones: customer.phones.map((p) => `${p.e164}${p.wrongNumber ? ' (wrong number)' : ''}`) },
            currency: c.currency,
            invoices: balance.invoices.map(toLetterInvoice),
            total: balance.amount,
            openedAt: c.openedAt,
            at: now,
            caseRef: caseRef(c._id),
            history: (full?.history ?? c.history).map((h) => ({ at: h.at, action: h.action, outcome: h.outcome, details: describe(h.details) })),
            promiseToPay: full?.promiseToPay ? { date: full.promiseToPay.date, amount: full.promiseToPay.amount } : undefined,
          },
        });
        await this.documents.putOnce({ caseId: c._id, kind: 'legal-summary', filename: `legal-${caseRef(c._id)}.pdf`, contentType: 'application/pdf', createdAt: now, data: pdf });
        return { legalCaseId, legalSummaryPath: `/api/dunning/cases/${id}/legal-summary` };
      }
    }
  }

  /** The legal desk's case: numbered after the dunning case, so a repeated step finds it. */
  private async openLegalCase(c: CaseDoc, customer: CustomerDoc, balance: Balance, now: Date): Promise<Types.ObjectId> {
    const number = `LEGAL-${caseRef(c._id)}`;
    const res = await this.deps.models.Case.findOneAndUpdate(
      { number },
      {
        $setOnInsert: {
          customerId: c.customerId,
          number,
          kind: 'legal',
          subject: `Legal referral: ${customer.name}, ${formatMoney(balance.amount, c.currency)} overdue since ${formatDay(balance.oldestDueAt ?? c.oldestDueAt, customer.timeZone)}`.slice(0, 300),
          status: 'open',
          priority: 'high',
          openedAt: now,
          callIds: [],
          notes: [{ at: now, authorName: 'Dunning', text: `Summary: /api/dunning/cases/${c._id.toHexString()}/legal-summary` }],
        },
      },
      { upsert: true, returnDocument: 'after', projection: { _id: 1 } },
    ).lean();
    if (!res) throw new Error('legal case upsert returned nothing');
    return res._id;
  }

  private async auditMany(entries: AuditInput[]): Promise<void> {
    if (entries.length) await this.deps.audit.recordMany(entries);
  }

  // ---------------------------------------------------------------- figures

  /** Adds what came in, per currency, with one update. */
  private async recovered(amounts: Record<string, number>): Promise<void> {
    const inc = Object.fromEntries(Object.entries(amounts).map(([currency, amount]) => [`recovered.${currency}`, round2(amount)]));
    if (!Object.keys(inc).length) return;
    await this.stats.updateOne({ _id: 'summary' }, { $inc: inc }, { upsert: true }).catch((err: unknown) => this.deps.logger.warn({ err }, 'dunning figures not updated'));
    this.statsCache = undefined;
  }

  private async bump(counts: Partial<Record<'promisesKept' | 'promisesBroken', number>>): Promise<void> {
    if (!Object.keys(counts).length) return;
    await this.stats.updateOne({ _id: 'summary' }, { $inc: counts }, { upsert: true }).catch((err: unknown) => this.deps.logger.warn({ err }, 'dunning figures not updated'));
    this.statsCache = undefined;
  }

  private async storeFigures(live: Map<string, { status: CaseDoc['status']; stage: CaseDoc['stage'] }>, now: Date): Promise<void> {
    const byStage: Record<string, number> = Object.fromEntries(STAGES.map((s) => [s, 0]));
    let open = 0;
    let paused = 0;
    for (const { status, stage } of live.values()) {
      byStage[stage] = (byStage[stage] ?? 0) + 1;
      if (status === 'paused') paused += 1;
      else open += 1;
    }
    await this.stats.updateOne({ _id: 'summary' }, { $set: { byStage, open, paused, lastScanAt: now } }, { upsert: true });
    this.statsCache = undefined;
  }

  /** Dunning progress for supervisors (as of the last scan, counters live); cached for 5 s. */
  async figures(): Promise<DunningStats> {
    if (this.statsCache && this.statsCache.until > Date.now()) return this.statsCache.value;
    const doc = await this.stats.findOne({ _id: 'summary' });
    const byStage = Object.fromEntries(STAGES.map((s) => [s, Number((doc?.byStage as Record<string, number> | undefined)?.[s] ?? 0)])) as DunningStats['byStage'];
    const recovered = Object.entries((doc?.recovered as Record<string, number> | undefined) ?? {}).map(([currency, amount]) => ({ currency, amount: round2(amount) }));
    const value: DunningStats = {
      byStage,
      open: Number(doc?.open ?? 0),
      paused: Number(doc?.paused ?? 0),
      promisesKept: Number(doc?.promisesKept ?? 0),
      promisesBroken: Number(doc?.promisesBroken ?? 0),
      recovered,
      lastScanAt: doc?.lastScanAt instanceof Date ? doc.lastScanAt.toISOString() : null,
    };
    this.statsCache = { value, until: Date.now() + 5000 };
    return value;
  }

  // ---------------------------------------------------------------- calls, outcomes, delivery reports

  /**
   * Asked by the callback dialer before a dunning callback is offered and before it is dialed:
   * the case's rules as they are at that moment. Dialing takes one of the case's call attempts
   * (at most `maxCallAttempts` in `callWindowMs`, taken with one conditional update).
   */
  async checkCallback(cb: Callback, now: Date, moment: 'offer' | 'dial'): Promise<GuardVerdict> {
    if (!cb.dunningCaseId) return { proceed: true };
    const { models } = this.deps;
    const c = await models.DunningCase.findById(cb.dunningCaseId).lean();
    const refuse = async (reason: string, postponeTo?: Date): Promise<GuardVerdict> => {
      await this.auditMany([{ action: 'dunning.call_refused', entity: 'dunning_case', entityId: cb.dunningCaseId?.toHexString(), details: { callbackId: cb._id.toHexString(), moment, reason, ...(postponeTo ? { postponeTo } : {}) } }]);
      return { proceed: false, reason, ...(postponeTo ? { postponeTo } : {}) };
    };
    if (!c || c.status === 'closed') return refuse('the dunning case is closed');
    if (c.status === 'paused') return refuse(c.pausedReason === 'dispute' ? 'the customer disputes the debt' : 'the customer promised to pay');
    const [customer, invoices] = await Promise.all([
      models.Customer.findById(c.customerId, { name: 1, phones: 1, flags: 1, timeZone: 1 }).lean(),
      models.Invoice.find({ customerId: c.customerId, status: 'open', currency: c.currency, dueAt: { $lt: now } }, { amount: 1, paid: 1, dueAt: 1 }).lean(),
    ]);
    if (!customer) return refuse('the customer no longer exists');
    const owed = round2(invoices.reduce((sum, i) => sum + Math.max(0, i.amount - (i.paid ?? 0)), 0));
    if (owed <= 0) {
      await this.closeMany([{ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId }], now, 'paid');
      return refuse('the balance is paid');
    }
    if (customer.flags?.doNotCall) return refuse('the customer asked not to be called (do-not-call)');
    if (customer.phones.some((p) => p.e164 === cb.phone && p.wrongNumber)) return refuse('the number is flagged as a wrong number');
    if (!isCallable(now, customer.timeZone)) return refuse('outside the customer\u2019s calling hours', nextCallable(now, customer.timeZone));
    const windowStart = new Date(now.getTime() - this.options.callWindowMs);
    const recent = c.callAttempts.filter((a) => a > windowStart).sort((a, b) => a.getTime() - b.getTime());
    const capped = () => nextCallable(new Date((recent[0] ?? now).getTime() + this.options.callWindowMs), customer.timeZone);
    if (recent.length >= this.options.maxCallAttempts) return refuse(`${this.options.maxCallAttempts} call attempts in the last ${Math.round(this.options.callWindowMs / DAY_MS)} days`, capped());
    if (moment === 'offer') return { proceed: true };
    // Take an attempt: old ones leave the window first, then a conditional push that cannot pass the cap.
    await models.DunningCase.updateOne({ _id: c._id }, { $pull: { callAttempts: { $lte: windowStart } } });
    const taken = await models.DunningCase.updateOne(
      { _id: c._id, status: 'open', [`callAttempts.${this.options.maxCallAttempts - 1}`]: { $exists: false } },
      { $push: { callAttempts: now, history: { at: now, action: 'call_attempt', details: { callbackId: cb._id.toHexString(), to: cb.phone } } } },
    );
    if (taken.modifiedCount === 0) return refuse(`${this.options.maxCallAttempts} call attempts in the last ${Math.round(this.options.callWindowMs / DAY_MS)} days`, capped());
    await this.auditMany([{ action: 'dunning.call_attempt', entity: 'dunning_case', entityId: c._id.toHexString(), details: { callbackId: cb._id.toHexString(), to: cb.phone } }]);
    return { proceed: true };
  }

  /** What the agent learned on the call. Checked against the same portfolio rules as the customer. */
  async recordOutcome(id: string, input: unknown, viewer: Viewer) {
    const body: DunningOutcome = parseOrThrow(dunningOutcomeSchema, input, 'outcome');
    const { models } = this.deps;
    const now = this.deps.clock.now();
    const c = await models.DunningCase.findById(toObjectId(id, 'dunning case id')).lean();
    if (!c) throw notFound('dunning case');
    const customer = await models.Customer.findById(c.customerId, { ownerId: 1, name: 1, phones: 1, timeZone: 1 }).lean();
    if (!customer) throw notFound('customer');
    await this.deps.customers.assertCanSee(viewer, customer);
    if (c.status === 'closed') throw conflict(`the dunning case is closed (${c.closedReason ?? 'closed'})`);
    const invoices = await models.Invoice.find({ customerId: c.customerId, status: 'open', currency: c.currency, dueAt: { $lt: now } }, { amount: 1, paid: 1, dueAt: 1 }).lean();
    const owed = round2(invoices.reduce((sum, i) => sum + Math.max(0, i.amount - (i.paid ?? 0)), 0));
    const by = { agentId: new Types.ObjectId(viewer.userId), agentName: viewer.name };
    const entry = (action: string, outcome: string, details?: unknown): HistoryEntry => ({ at: now, action, outcome, details: { ...by, ...(details as object) } });
    const audit = (details: unknown) => this.auditMany([{ userId: viewer.userId, userName: viewer.name, action: `dunning.outcome.${body.outcome}`, entity: 'dunning_case', entityId: id, details }]);
    const cancelCalls = () =>
      models.Callback.updateMany(
        { dunningCaseId: c._id, status: { $in: ['scheduled', 'offered'] } },
        { $set: { status: 'cancelled' }, $push: { attempts: { at: now, outcome: `cancelled: ${body.outcome.replace(/_/g, ' ')} recorded by ${viewer.name}` } } },
      );
    const pausePromise = async (date: Date, amount: number, outcome: string, details: unknown) => {
      const res = await models.DunningCase.updateOne(
        { _id: c._id, status: { $in: [...LIVE] } },
        {
          $set: { status: 'paused', pausedReason: 'promise', promiseToPay: { date, amount, recordedAt: now, agentId: by.agentId }, balanceAtPromise: owed, nextActionAt: new Date(date.getTime() + this.options.promiseGraceMs) },
          $push: { history: entry('promise_to_pay', outcome, details) },
        },
      );
      if (res.modifiedCount === 0) throw conflict('the dunning case changed meanwhile; reload it');
      await cancelCalls();
    };

    switch (body.outcome) {
      case 'promise_to_pay': {
        const date = new Date(body.date);
        if (date.getTime() < now.getTime() - DAY_MS) throw badRequest('the promised date is in the past');
        if (date.getTime() > now.getTime() + 90 * DAY_MS) throw badRequest('a promise to pay may be at most 90 days ahead');
        await pausePromise(date, body.amount, `${formatMoney(body.amount, c.currency)} by ${formatDay(date, customer.timeZone)}`, { amount: body.amount, date, note: body.note });
        await audit({ amount: body.amount, date: body.date });
        break;
      }
      case 'paid': {
        if (owed <= 0) {
          await this.closeMany([{ _id: c._id, amount: c.amount, currency: c.currency, customerId: c.customerId }], now, 'paid');
          await audit({ owed });
          break;
        }
        // "I have paid": the payment gets a few days to arrive, as a promise of the whole amount.
        const date = new Date(now.getTime() + this.options.paidClaimGraceMs);
        await pausePromise(date, owed, 'customer says it is paid', { note: body.note, owed });
        await audit({ owed, waitUntil: date });
        break;
      }
      case 'dispute': {
        const number = `DSP-${caseRef(c._id)}-${(c.history.filter((h) => h.action === 'dispute').length + 1).toString()}`;
        const dispute = await models.Case.create({
          customerId: c.customerId,
          number,
          kind: 'dispute',
          subject: `Disputed debt ${formatMoney(owed, c.currency)}: ${body.reason}`.slice(0, 300),
          status: 'open',
          priority: 'high',
          ownerId: by.agentId,
          openedAt: now,
          callIds: [],
          notes: [{ at: now, authorId: by.agentId, authorName: viewer.name, text: body.reason }],
        });
        const res = await models.DunningCase.updateOne(
          { _id: c._id, status: { $in: [...LIVE] } },
          { $set: { status: 'paused', pausedReason: 'dispute', disputeCaseId: dispute._id, nextActionAt: new Date(now.getTime() + DAY_MS) }, $push: { history: entry('dispute', body.reason, { caseId: dispute._id.toHexString() }) } },
        );
        if (res.modifiedCount === 0) throw conflict('the dunning case changed meanwhile; reload it');
        await cancelCalls();
        await audit({ reason: body.reason, caseId: dispute._id.toHexString() });
        break;
      }
      case 'wrong_number': {
        const last = await models.Callback.findOne({ dunningCaseId: c._id }, { phone: 1 }).sort({ createdAt: -1 }).lean();
        const phone = body.phone ?? last?.phone;
        if (!phone) throw badRequest('give phone: no call of this case to take the number from');
        if (!customer.phones.some((p) => p.e164 === phone)) throw badRequest(`${phone} is not one of the customer's numbers`);
        await models.Customer.updateOne({ _id: c.customerId }, { $set: { 'phones.$[p].wrongNumber': true } }, { arrayFilters: [{ 'p.e164': phone }] });
        await models.DunningCase.updateOne({ _id: c._id }, { $set: { nextActionAt: now }, $push: { history: entry('wrong_number', phone, { note: body.note }) } });
        await models.Callback.updateMany(
          { dunningCaseId: c._id, phone, status: { $in: ['scheduled', 'offered'] } },
          { $set: { status: 'cancelled' }, $push: { attempts: { at: now, outcome: `cancelled: wrong number (${viewer.name})` } } },
        );
        await audit({ phone });
        break;
      }
    }
    return { case: await this.view(c._id, true) };
  }

  /** A delivery report of a reminder (Twilio's status callback). */
  async onSmsStatus(status: { messageSid: string; status: string; errorCode?: string; at: Date }): Promise<void> {
    const { models } = this.deps;
    const c = await models.DunningCase.findOne({ 'messages.sid': status.messageSid }, { messages: 1 }).lean();
    if (!c) return;
    const current = c.messages.find((m) => m.sid === status.messageSid);
    const keep = current && FINAL_SMS.has(current.status) && !FINAL_SMS.has(status.status);
    await models.DunningCase.updateOne(
      { _id: c._id, 'messages.sid': status.messageSid },
      {
        ...(keep ? {} : { $set: { 'messages.$.status': status.status, ...(status.errorCode ? { 'messages.$.errorCode': status.errorCode } : {}) } }),
        $push: { history: { at: status.at, action: 'sms_status', outcome: status.status, details: { messageSid: status.messageSid, ...(status.errorCode ? { errorCode: status.errorCode } : {}) } } },
      },
    );
    await this.auditMany([{ action: 'dunning.sms_status', entity: 'dunning_case', entityId: c._id.toHexString(), details: status }]);
  }

  // ---------------------------------------------------------------- reading

  async list(input: unknown) {
    const q = parseOrThrow(dunningCaseQuerySchema, input, 'dunning case query');
    const filter: Record<string, unknown> = {};
    if (q.status) filter.status = q.status;
    if (q.stage) filter.stage = q.stage;
    if (q.customerId) filter.customerId = new Types.ObjectId(q.customerId);
    if (q.before) filter.openedAt = { $lt: new Date(q.before) };
    const found = await this.deps.models.DunningCase.find(filter, { history: { $slice: -20 }, pending: 0 }).sort({ openedAt: -1 }).limit(q.limit + 1).lean();
    const names = new Map(
      (await this.deps.models.Customer.find({ _id: { $in: found.map((c) => c.customerId) } }, { name: 1 }).lean()).map((c) => [c._id.toHexString(), c.name]),
    );
    return { cases: found.slice(0, q.limit).map((c) => caseView(c, names.get(c.customerId.toHexString()))), hasMore: found.length > q.limit };
  }

  async get(id: string, viewer: Viewer) {
    const oid = toObjectId(id, 'dunning case id');
    const c = await this.deps.models.DunningCase.findById(oid, { customerId: 1 }).lean();
    if (!c) throw notFound('dunning case');
    await this.assertMayRead(c.customerId, viewer);
    return { case: await this.view(oid, true) };
  }

  private async assertMayRead(customerId: Types.ObjectId, viewer: Viewer): Promise<void> {
    if (viewer.roles.some((r) => r === 'supervisor' || r === 'admin' || r === 'legal')) return;
    const customer = await this.deps.models.Customer.findById(customerId, { ownerId: 1 }).lean();
    if (!customer) throw notFound('customer');
    if (!viewer.roles.includes('agent')) throw forbidden();
    await this.deps.customers.assertCanSee(viewer, customer);
  }

  private async view(id: Types.ObjectId, withInvoices: boolean): Promise<DunningCaseView> {
    const c = await this.deps.models.DunningCase.findById(id).lean();
    if (!c) throw notFound('dunning case');
    const [customer, invoices] = await Promise.all([
      this.deps.models.Customer.findById(c.customerId, { name: 1 }).lean(),
      withInvoices ? this.deps.models.Invoice.find({ _id: { $in: c.invoiceIds } }, { number: 1, amount: 1, paid: 1, dueAt: 1 }).lean() : [],
    ]);
    return {
      ...caseView(c, customer?.name),
      invoices: invoices
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
        .map((i) => ({ id: i._id.toHexString(), number: i.number, amount: i.amount, open: round2(i.amount - (i.paid ?? 0)), dueAt: i.dueAt.toISOString() })),
    };
  }

  /** The letter or the legal summary of a case, for those who may read the case. */
  async document(id: string, kind: DocumentKind, viewer: Viewer) {
    const oid = toObjectId(id, 'dunning case id');
    const c = await this.deps.models.DunningCase.findById(oid, { customerId: 1 }).lean();
    if (!c) throw notFound('dunning case');
    await this.assertMayRead(c.customerId, viewer);
    const doc = await this.documents.get(oid, kind);
    if (!doc) throw notFound(kind === 'letter' ? 'letter' : 'legal summary');
    return doc;
  }
}

function caseView(c: CaseDoc, customerName?: string): DunningCaseView {
  return {
    id: c._id.toHexString(),
    customerId: c.customerId.toHexString(),
    ...(customerName ? { customerName } : {}),
    currency: c.currency,
    status: c.status,
    stage: c.stage,
    amount: c.amount,
    oldestDueAt: c.oldestDueAt.toISOString(),
    openedAt: c.openedAt.toISOString(),
    ...(c.closedAt ? { closedAt: c.closedAt.toISOString() } : {}),
    ...(c.closedReason ? { closedReason: c.closedReason } : {}),
    ...(c.pausedReason ? { pausedReason: c.pausedReason } : {}),
    ...(c.nextActionAt ? { nextActionAt: c.nextActionAt.toISOString() } : {}),
    ...(c.promiseToPay?.date ? { promiseToPay: { date: c.promiseToPay.date.toISOString(), amount: c.promiseToPay.amount } } : {}),
    ...(c.letterPath ? { letterUrl: c.letterPath } : {}),
    ...(c.legalSummaryPath ? { legalSummaryUrl: c.legalSummaryPath } : {}),
    ...(c.legalCaseId ? { legalCaseId: c.legalCaseId.toHexString() } : {}),
    callAttempts: c.callAttempts?.length ?? 0,
    history: c.history.map((h) => ({ at: h.at.toISOString(), action: h.action, ...(h.stage ? { stage: h.stage } : {}), ...(h.outcome ? { outcome: h.outcome } : {}) })),
  };
}

/** A rung of the ladder (`call`), not a later round of its calls (`call:2`). */
const isRung = (plan: { key: string }) => !plan.key.includes(':');

const caseRef = (id: Types.ObjectId) => id.toHexString().slice(-10).toUpperCase();

function toLetterInvoice(i: InvoiceDoc): LetterInvoice {
  return { number: i.number, amount: i.amount, open: round2(i.amount - (i.paid ?? 0)), dueAt: i.dueAt, paymentReference: i.paymentReference };
}

function describe(details: unknown): string | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.to === 'string') parts.push(`to ${d.to}`);
  if (typeof d.amount === 'number') parts.push(`amount ${d.amount.toFixed(2)}`);
  if (typeof d.agentName === 'string') parts.push(`by ${d.agentName}`);
  if (typeof d.round === 'number') parts.push(`call ${d.round}`);
  return parts.length ? parts.join(', ') : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300);
}

/** Twilio answered with a 4xx: the message was not accepted and will not be sent. */
function isDefiniteRefusal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('status' in err)) return false;
  const status = (err as { status: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
