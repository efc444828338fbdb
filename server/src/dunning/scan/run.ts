// One full scan: cases in step with the overdue invoices, every due step taken, the figures stored; and its report.
import type { Types } from 'mongoose';
import { inParallel, Slots } from '../../lib/concurrency';
import type { DunningContext } from '../context';
import { LIVE } from '../case-keys';
import type { CaseState, Tally } from '../types';
import { advance, type EffectSlots } from '../steps/advance';
import { readLiveCases, readOverdue } from './read';
import { syncCases, type SyncResult } from './sync';

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

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number }) => void;
  /** Awaited before each batch of reads and steps: the jobs give way to the call path (jobs/pacer.ts). */
  pace?: () => Promise<void>;
}

/** What one scan keeps while it runs. */
interface ScanRun extends Tally {
  now: Date;
  started: number;
  actions: Record<string, number>;
  stepParts: Record<string, number>;
  effects: EffectSlots;
  /** Where the steps of this scan left the cases they looked at. */
  stepped: Map<string, CaseState>;
  /** Cases this scan has looked at. */
  looked: Set<string>;
  done: number;
  onProgress: ScanOptions['onProgress'];
  pace: ScanOptions['pace'];
}

/** One full scan: cases in step with the overdue invoices, then every due step. */
export async function runScan(ctx: DunningContext, opts: ScanOptions = {}): Promise<ScanReport> {
  const run = startRun(ctx, opts);
  // The cases due now are advanced while the overdue invoices are read and the cases brought in
  // step: every step reads the balance it acts on itself, so neither needs the other first (and a
  // case with a step under way is not closed under it). The invoices and the live cases are read
  // at once too: the database builds one answer while this process reads the other.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const early = advanceDue(ctx, run, signal);
  early.catch(() => undefined); // awaited below, or stopped when reading fails
  let read = 0;
  let synced = 0;
  let sync: SyncResult;
  let overdue: Awaited<ReturnType<typeof readOverdue>>;
  try {
    const [invoices, liveCases] = await Promise.all([
      readOverdue(ctx, run.now, { signal, pace: run.pace }),
      readLiveCases(ctx),
    ]);
    overdue = invoices;
    read = performance.now();
    sync = await syncCases(ctx, overdue.byKey, liveCases, run.now, run.count);
    synced = performance.now();
  } catch (err) {
    stop.abort(err);
    await early.catch(() => undefined);
    throw err;
  }
  opts.onProgress?.({ phase: 'cases', done: sync.live.size });
  await early;
  // The cases this scan opened whose first rung is due already (a debt found late).
  await advanceDue(ctx, run, signal);
  for (const [id, state] of run.stepped) {
    if (state.status === 'closed') sync.live.delete(id);
    else sync.live.set(id, state);
  }
  await ctx.figures.store(sync.live, run.now);
  return {
    startedAt: run.now.toISOString(),
    ms: Math.round(performance.now() - run.started),
    overdueInvoices: overdue.invoices,
    cases: {
      opened: sync.opened,
      updated: sync.updated,
      closed: sync.closed,
      live: sync.live.size,
      due: run.looked.size,
    },
    actions: run.actions,
    phases: {
      read: Math.round(read - run.started),
      sync: Math.round(synced - read),
      steps: Math.round(performance.now() - run.started),
    },
    stepParts: Object.fromEntries(Object.entries(run.stepParts).map(([part, ms]) => [part, Math.round(ms)])),
  };
}

function startRun(ctx: DunningContext, opts: ScanOptions): ScanRun {
  const started = performance.now();
  const actions: Record<string, number> = {};
  const stepParts: Record<string, number> = {};
  return {
    now: ctx.clock.now(),
    started,
    actions,
    stepParts,
    count: (action, n = 1) => {
      actions[action] = (actions[action] ?? 0) + n;
    },
    took: (part, since) => {
      stepParts[part] = (stepParts[part] ?? 0) + (performance.now() - since);
    },
    // A few batches at once (one reads while another writes or waits on its effects); side effects
    // stay within their bounds across all of them. Documents wait for a render worker: they have
    // slots of their own, so that messages and callbacks never queue behind them.
    effects: {
      contact: new Slots(ctx.options.concurrency),
      document: new Slots(Math.max(2, 2 * ctx.options.renderWorkers)),
    },
    stepped: new Map(),
    looked: new Set(),
    done: 0,
    onProgress: opts.onProgress,
    pace: opts.pace,
  };
}

/** Every live case whose next look is due and that this scan has not looked at yet. */
async function advanceDue(ctx: DunningContext, run: ScanRun, signal: AbortSignal): Promise<void> {
  const due: Types.ObjectId[] = [];
  for (const status of LIVE) {
    const found = await ctx.models.DunningCase.find({ status, nextActionAt: { $lte: run.now } }, { _id: 1 }).lean();
    for (const c of found) if (!run.looked.has(c._id.toHexString())) due.push(c._id);
  }
  for (const id of due) run.looked.add(id.toHexString());
  const batches: Types.ObjectId[][] = [];
  for (let i = 0; i < due.length; i += ctx.options.batchSize) batches.push(due.slice(i, i + ctx.options.batchSize));
  await inParallel(batches, ctx.options.batchesInFlight, async (batch) => {
    await run.pace?.();
    signal.throwIfAborted();
    let ids = batch;
    // A case resumed in this pass (promise broken, dispute settled) takes its step at once.
    for (let pass = 0; pass < 2 && ids.length; pass++) {
      const { again, states } = await advance(ctx, ids, run.now, run, run.effects);
      for (const [id, state] of states) run.stepped.set(id, state);
      ids = again;
    }
    run.done += batch.length;
    run.onProgress?.({ phase: 'steps', done: run.done });
  });
}
