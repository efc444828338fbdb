// Reconciliation: no caller who is gone is waited for. A hang-up whose webhook or ARI event was
// lost (the server was down or slow) would leave its call queued, offered or connected for ever:
// queues would keep serving it and agents would be offered, or stuck on, callers who are not there.
// On start and then periodically, calls still live here whose provider has been quiet for a while
// are asked about at the provider (Twilio's Call resource, ARI's channel list), in batches; those it
// says are over are ended through the hang-up path itself (CallService.providerGone), so agents,
// consoles, the timeline and supervisors' figures follow as for a hang-up. A provider that cannot
// say (unreachable, refusing) gets nothing ended: not knowing is never "gone".
//
// Safe to run in several processes at once and beside real hang-ups: ending goes through the
// provider-status rank (only one report ends a call) and state-checked writes.
import { Counter, type Registry } from 'prom-client';
import type { QueryFilter } from 'mongoose';
import type { CallEvent, Provider } from '@ringside/shared';
import type { CallPresence, TelephonyProvider } from '@ringside/telephony';
import { LIVE_CALL_STATES, type Call } from '../db/schemas/call.model';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { RANK } from './ending';

export interface ReconcileOptions {
  /** How often a pass runs; the first runs at `start()`. 0 turns reconciliation off. */
  everyMs: number;
  /** A call the provider has shown nothing of for this long is asked about. */
  quietMs: number;
  /** Calls asked about in one request to a provider. Default 100. */
  batchSize?: number;
  /** How long one request to a provider may take before its answer counts as unknown. Default 20 s. */
  askTimeoutMs?: number;
  /** Calls asked about in one pass at most; the rest wait for the next pass. Default 5000. */
  maxPerPass?: number;
}

/** What one pass did. */
export interface ReconcileReport {
  /** Calls the providers were asked about. */
  asked: number;
  /** … of which still going on (left alone). */
  live: number;
  /** Calls this pass ended: gone at the provider, or reported ended before and left half-ended. */
  ended: number;
  /** Calls no provider could answer for (unreachable, refusing, not configured): left alone. */
  unknown: number;
}

type CallEnded = Extract<CallEvent, { type: 'call.ended' }>;

/** What the reconciler needs of the call path: the hang-up path, and the record of a call seen. */
export interface ReconcilingCalls {
  /** Ends a call as its provider's hang-up would; true when this ended it. */
  providerGone(event: CallEnded): Promise<boolean>;
  /** Finishes a call its provider had reported ended whose ending stopped halfway; true when this ended it. */
  finishEnded(callId: string, reason: string, at: Date): Promise<boolean>;
  /** The provider says these calls are going on (at `at`). */
  seen(callIds: readonly string[], at: Date): Promise<void>;
}

export interface ReconcilerDeps {
  models: Models;
  clock: Clock;
  logger: Logger;
  providers: Partial<Record<Provider, TelephonyProvider>>;
  calls: ReconcilingCalls;
  /** Counts reconciled calls by provider and outcome (`reconcileCounter`). */
  counter?: Counter<'provider' | 'outcome'>;
}

/** `ringside_calls_reconciled_total{provider, outcome}`: calls asked about and what came of them. */
export function reconcileCounter(registry: Registry): Counter<'provider' | 'outcome'> {
  return new Counter({
    name: 'ringside_calls_reconciled_total',
    help: 'Quiet calls asked about at their provider: live (left alone), ended (the caller was gone), unknown (no answer)',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
}

/** The provider-status rank of a reported end. */
const ENDED_RANK = RANK['call.ended'];
const PAGE = 500;
const PROJECTION = {
  _id: 1,
  provider: 1,
  state: 1,
  providerRank: 1,
  receivedAt: 1,
  connectedAt: 1,
  providerSeenAt: 1,
} as const;
type Candidate = Pick<
  Call,
  '_id' | 'provider' | 'state' | 'providerRank' | 'receivedAt' | 'connectedAt' | 'providerSeenAt'
>;

/** One pass's bookkeeping: what it did, the providers that could not answer, the calls it handled. */
interface Pass {
  now: Date;
  report: ReconcileReport;
  failed: Set<Provider>;
  handled: Set<string>;
}

export class CallReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly options: ReconcileOptions,
  ) {}

  /** A pass now, then one every `everyMs` after the previous one finished (timers unref'd). */
  start(): void {
    if (this.started || this.options.everyMs <= 0) return;
    this.started = true;
    this.stopped = false;
    this.schedule(0);
  }

  /** No further pass; a pass under way stops before its next request. */
  stop(): void {
    this.stopped = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'reconciling calls failed'))
        .finally(() => {
          if (this.started) this.schedule(this.options.everyMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One pass over every live state; asked for while one runs, it is that one. */
  pass(): Promise<ReconcileReport> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<ReconcileReport> {
    const now = this.deps.clock.now();
    const cutoff = new Date(now.getTime() - this.options.quietMs);
    const pass: Pass = {
      now,
      report: { asked: 0, live: 0, ended: 0, unknown: 0 },
      failed: new Set(),
      handled: new Set(),
    };
    // One indexed query per branch ({state, providerSeenAt}): calls quiet since the provider was
    // last heard of, and calls stored before that was recorded (no providerSeenAt) received long ago.
    for (const state of LIVE_CALL_STATES) {
      await this.sweep(pass, 'providerSeenAt', (range) => ({ state, providerSeenAt: { $lt: cutoff, ...range } }));
      await this.sweep(pass, 'receivedAt', (range) => ({
        state,
        providerSeenAt: null,
        receivedAt: { $lt: cutoff, ...range },
      }));
    }
    const { report } = pass;
    if (report.asked > 0 || report.ended > 0)
      this.deps.logger.info(
        { ...report, quietMs: this.options.quietMs },
        'quiet calls reconciled with their providers',
      );
    return report;
  }

  /** Pages through one branch, oldest first: every call handled leaves it (ended, or seen now). */
  private async sweep(
    pass: Pass,
    field: 'providerSeenAt' | 'receivedAt',
    filterFor: (range: { $gte?: Date }) => QueryFilter<Call>,
  ): Promise<void> {
    const maxPerPass = this.options.maxPerPass ?? 5000;
    let from: Date | undefined;
    while (!this.stopped && pass.report.asked + pass.report.ended < maxPerPass) {
      const filter: QueryFilter<Call> = {
        ...filterFor(from ? { $gte: from } : {}),
        virtualHold: { $exists: false }, // its caller hung up on purpose: the callback keeps the place
        ...(pass.failed.size > 0 ? { provider: { $nin: [...pass.failed] } } : {}),
      };
      const page: Candidate[] = await this.deps.models.Call.find(filter, PROJECTION)
        .sort({ [field]: 1 })
        .limit(PAGE)
        .lean();
      const fresh = page.filter((c) => !pass.handled.has(c._id));
      if (fresh.length === 0) return;
      await this.settle(pass, fresh);
      const last = page[page.length - 1]?.[field];
      if (page.length < PAGE || !last) return;
      from = last;
    }
  }

  /** Asks each call's provider about a page of calls, in batches; ends those that are gone. */
  private async settle(pass: Pass, calls: Candidate[]): Promise<void> {
    for (const c of calls) pass.handled.add(c._id);
    for (const c of calls.filter((c) => c.providerRank >= ENDED_RANK)) {
      // The provider reported the end already; ending it stopped halfway. Nothing to ask.
      if (await this.deps.calls.finishEnded(c._id, 'ended', endTime(c, undefined, pass.now)))
        this.ended(pass, c, 'reported ended before');
    }
    const batchSize = this.options.batchSize ?? 100;
    const byProvider = new Map<Provider, Candidate[]>();
    for (const c of calls) {
      if (c.providerRank >= ENDED_RANK) continue;
      const group = byProvider.get(c.provider);
      if (group) group.push(c);
      else byProvider.set(c.provider, [c]);
    }
    for (const [name, group] of byProvider) {
      for (let i = 0; i < group.length && !this.stopped; i += batchSize) {
        await this.ask(pass, name, group.slice(i, i + batchSize));
      }
    }
  }

  private async ask(pass: Pass, name: Provider, batch: Candidate[]): Promise<void> {
    const provider = this.deps.providers[name];
    if (pass.failed.has(name) || !provider) {
      if (!provider && !pass.failed.has(name))
        this.deps.logger.warn({ provider: name }, 'calls of a provider that is not configured: cannot reconcile them');
      pass.failed.add(name);
      this.count(pass, name, 'unknown', batch.length);
      return;
    }
    let answers: Map<string, CallPresence>;
    try {
      answers = await within(
        provider.checkCalls(batch.map((c) => c._id)),
        this.options.askTimeoutMs ?? 20_000,
        `${name} did not answer`,
      );
    } catch (err) {
      // Unknown is not gone: nothing of this provider is ended in this pass.
      pass.failed.add(name);
      this.deps.logger.warn(
        { err, provider: name, calls: batch.length },
        'provider could not say which calls are live',
      );
      this.count(pass, name, 'unknown', batch.length);
      return;
    }
    pass.report.asked += batch.length;
    const live = batch.filter((c) => answers.get(c._id)?.live === true).map((c) => c._id);
    await this.deps.calls.seen(live, pass.now);
    this.count(pass, name, 'live', live.length);
    for (const c of batch) {
      const answer = answers.get(c._id);
      if (!answer) this.count(pass, name, 'unknown', 1);
      if (!answer || answer.live) continue;
      const ended = await this.deps.calls.providerGone({
        type: 'call.ended',
        provider: name,
        callId: c._id,
        at: endTime(c, answer.endedAt, pass.now),
        reason: `lost hang-up: ${answer.reason}`,
      });
      if (ended) this.ended(pass, c, answer.reason);
    }
  }

  private ended(pass: Pass, c: Candidate, why: string): void {
    pass.report.ended += 1;
    this.deps.counter?.inc({ provider: c.provider, outcome: 'ended' });
    this.deps.logger.info(
      { callId: c._id, provider: c.provider, state: c.state, why },
      'caller gone at the provider: call ended (its hang-up never arrived)',
    );
  }

  private count(pass: Pass, provider: Provider, outcome: 'live' | 'unknown', n: number): void {
    if (n === 0) return;
    if (outcome === 'live') pass.report.live += n;
    else pass.report.unknown += n;
    this.deps.counter?.inc({ provider, outcome }, n);
  }
}

/**
 * When the call ended, as well as we know: the provider's time if it has one, never before the last
 * time the call was known to be going on, never after now.
 */
function endTime(c: Candidate, reported: Date | undefined, now: Date): Date {
  const floor = Math.max(
    c.receivedAt.getTime(),
    c.connectedAt?.getTime() ?? 0,
    Math.min(c.providerSeenAt?.getTime() ?? 0, now.getTime()),
  );
  const at = reported?.getTime() ?? now.getTime();
  return new Date(Math.min(now.getTime(), Math.max(floor, at)));
}

/** The promise's answer, or a rejection after `ms` (the request is left to finish on its own). */
function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
