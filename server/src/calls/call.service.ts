// The inbound call path's front door: provider events in, agents' actions in, and the parts
// that do the work (waiting line, offers, pop delivery, answering, ending) wired once.
import type { AgentStatus, CallEvent, CallWrapup } from '@ringside/shared';
import type { CallInstruction } from '@ringside/telephony';
import type { QueryFilter } from 'mongoose';
import type { Call } from '../db/schemas/call.model';
import type { User } from '../db/schemas/user.model';
import type { RingsideSocket } from '../realtime/gateway';
import type { PresenceListener } from '../presence/presence.service';
import type { CallParts, CallServiceDeps } from './call-parts';
import { resolveCaller } from './caller-resolution';
import { assemblePop } from '../screen-pop/pop-part';
import { PopFactsSource } from '../screen-pop/pop-source';
import { Routing } from '../routing/routing.service';
import { AgentStates } from '../routing/agent-state';
import { QueueDirectory } from '../routing/queues';
import { callEntryId, recordCallEntry } from '../interactions/call-entry';
import { Timers } from './timers';
import { ArrivalOrder, type Turn } from './arrival-order';
import type { HoldingLegEnd } from '../callbacks/callback-dialer';
import { WaitingLine } from './waiting-line';
import { PopDelivery } from './pop-delivery';
import { Offers } from './offers';
import { Answering } from './answering';
import { Ending, RANK } from './ending';
import { CallReconciler, reconcileCounter, type ReconcileOptions } from './reconcile';

export type { CallServiceDeps, CallServiceOptions } from './call-parts';

/**
 * The inbound call path: provider event → caller resolution → pop → atomic reservation →
 * pop on the agent's screen (acknowledged) → the provider connects the caller on accept.
 */
export class CallService implements PresenceListener {
  private readonly parts: CallParts;
  private readonly line: WaitingLine;
  private readonly delivery: PopDelivery;
  private readonly offers: Offers;
  private readonly answering: Answering;
  private readonly ending: Ending;
  private seq = 0;
  private readonly arrivals = new ArrivalOrder();
  private readonly reconcilers: CallReconciler[] = [];
  private readonly reconciled: ReturnType<typeof reconcileCounter>;
  private readonly popFacts: PopFactsSource;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(deps: CallServiceDeps) {
    const states = new AgentStates({
      models: deps.models,
      clock: deps.clock,
      realtime: deps.realtime,
      logger: deps.logger,
      changed: () => deps.stats.changed(),
    });
    this.parts = {
      ...deps,
      queues: deps.queues ?? new QueueDirectory(deps.models, { defaultCountry: deps.options.defaultCountry }),
      states,
      routing: new Routing(states),
      timers: new Timers(deps.logger),
    };
    this.line = new WaitingLine(this.parts);
    this.delivery = new PopDelivery(this.parts);
    this.offers = new Offers(this.parts, this.delivery);
    this.answering = new Answering(this.parts, this.offers);
    this.ending = new Ending(this.parts, this.offers);
    this.reconciled = reconcileCounter(deps.metrics.registry);
    this.popFacts = new PopFactsSource({
      models: deps.models,
      clock: deps.clock,
      logger: deps.logger.child({ part: 'pop' }),
      observe: (stage, seconds) => deps.metrics.popStage.observe({ stage }, seconds),
    });
  }

  /** Every provider's events arrive here. */
  async handleEvent(event: CallEvent): Promise<CallInstruction | void> {
    // The usual hang-up, a caller who was waiting or offered, ends in one write, before any look at
    // whether the call is a callback's outbound leg (a call this ends is an inbound one).
    if (event.type === 'call.ended' && (await this.ending.endedUnanswered(event.callId, event.reason, event.at)))
      return;
    if (event.type !== 'call.incoming' && (await this.parts.outbound?.(event))) return;
    switch (event.type) {
      case 'call.incoming':
        return this.incoming(event);
      case 'call.ringing':
      case 'call.answered':
        await Promise.all([
          this.ending.advanceProviderStatus(event.callId, RANK[event.type], event.type),
          this.ending.seen([event.callId], event.at),
        ]);
        return;
      case 'call.ended':
        await this.ending.ended(event.callId, event.reason, event.at, true);
        return;
      case 'call.dtmf': {
        const [instruction] = await Promise.all([
          this.line.keyPressed(event.callId, event.digit),
          this.ending.seen([event.callId], event.at),
        ]);
        return instruction;
      }
      case 'call.waiting': {
        // The provider asks what a waiting caller hears: the caller is still there.
        const [instruction] = await Promise.all([
          this.line.waitingInstruction(event.callId),
          this.ending.seen([event.callId], event.at),
        ]);
        return instruction;
      }
    }
  }

  /**
   * The provider says a call is over though no hang-up arrived (the reconciler asked it): the call
   * ends exactly as that hang-up would have ended it. True when this ended it (not a hang-up first).
   */
  async providerGone(event: Extract<CallEvent, { type: 'call.ended' }>): Promise<boolean> {
    if (await this.parts.outbound?.(event)) return false;
    return this.ending.ended(event.callId, event.reason, event.at);
  }

  /**
   * Reconciles calls whose provider went quiet with the provider (reconcile.ts): `start()` runs a
   * pass at once and then every `everyMs`; `close()` stops it.
   */
  reconciler(options: ReconcileOptions): CallReconciler {
    const reconciler = new CallReconciler(
      {
        models: this.parts.models,
        clock: this.parts.clock,
        logger: this.parts.logger.child({ part: 'reconcile' }),
        providers: this.parts.providers,
        counter: this.reconciled,
        calls: {
          providerGone: (event) => this.providerGone(event),
          finishEnded: (callId, reason, at) => this.ending.finishEnded(callId, reason, at),
          seen: (callIds, at) => this.ending.seen(callIds, at),
        },
      },
      options,
    );
    this.reconcilers.push(reconciler);
    return reconciler;
  }

  /**
   * Every `everyMs` (0: never), moves on offers whose deadline passed unseen: their timers lived in a
   * process that is gone (Offers.sweepOverdue). Stopped by `close()`.
   */
  sweepOverdueOffers(everyMs: number): void {
    if (everyMs <= 0 || this.sweepTimer || this.closed) return;
    const next = () => {
      this.sweepTimer = setTimeout(() => {
        this.offers
          .sweepOverdue()
          .catch((err: unknown) => this.parts.logger.warn({ err }, 'sweeping overdue offers failed'))
          .finally(() => {
            if (!this.closed) next();
          });
      }, everyMs);
      this.sweepTimer.unref();
    };
    next();
  }

  private async incoming(event: Extract<CallEvent, { type: 'call.incoming' }>): Promise<CallInstruction> {
    const turn = this.arrivals.take();
    const seq = ++this.seq; // arrival order in this process (receivedAt can be equal)
    try {
      return await this.admitIncoming(event, seq, turn);
    } finally {
      turn.done();
    }
  }

  private async admitIncoming(
    event: Extract<CallEvent, { type: 'call.incoming' }>,
    seq: number,
    turn: Turn,
  ): Promise<CallInstruction> {
    const log = this.parts.logger.child({ callId: event.callId, provider: event.provider });
    const { models } = this.parts;
    const started = performance.now();
    const resolution = await resolveCaller(models, event.from, this.parts.options.defaultCountry);
    // The caller's pop summary, read by id (the full build only when it is missing or stale).
    const now = this.parts.clock.now();
    const { facts } = await this.popFacts.factsFor(resolution.customer, now);
    const pop = assemblePop(
      { callId: event.callId, receivedAt: event.at, caller: { raw: event.from, e164: resolution.e164 }, resolution },
      facts,
      now,
    );
    const queue = await this.parts.queues.forCall({ to: event.to, hasDunningCase: pop.dunning !== undefined });
    const customer = resolution.customer;
    const interactionId = callEntryId(event.callId);
    const call: Call = {
      _id: event.callId,
      provider: event.provider,
      direction: 'inbound',
      from: event.from,
      fromE164: resolution.e164,
      to: event.to,
      receivedAt: event.at,
      seq,
      state: 'queued',
      queue: queue.name,
      skill: queue.skill,
      ...(customer ? { customerId: customer._id } : {}),
      ...(customer?.ownerId ? { ownerId: customer.ownerId } : {}),
      match: resolution.match,
      pop,
      popBuiltMs: Math.round((performance.now() - started) * 100) / 100,
      passedBy: [],
      offers: [],
      providerStatus: 'ringing',
      providerRank: 0,
      providerSeenAt: event.at,
      interactionId,
    };
    const stage = this.parts.metrics.popStage;
    stage.observe({ stage: 'resolve+build' }, call.popBuiltMs / 1000);
    // The pop is on the agent's screen before the provider is told anything; the records
    // that nobody waits for are written alongside, not before it.
    await turn.queueKnown(queue.name);
    const admitting = this.offers.admit(call); // joins the queue's line before it awaits anything
    turn.done();
    const [admitted] = await Promise.all([
      admitting,
      // The same webhook twice: one entry (its id is the call's).
      recordCallEntry(models, {
        ...(customer ? { customerId: customer._id } : {}),
        direction: 'inbound',
        at: event.at,
        callId: event.callId,
        summary: `Inbound call from ${event.from || 'an unknown number'}`,
      }),
    ]);
    if (!admitted) {
      log.info('duplicate incoming event; call already known'); // a webhook delivered twice
      return { kind: 'hold' };
    }
    this.parts.metrics.calls.inc({ provider: event.provider });
    // The day's figures are written in groups: the provider's answer does not wait for them.
    this.parts.stats
      .offered(queue.name, event.at)
      .catch((err: unknown) => log.warn({ err }, 'offered call not counted'));
    log.info({ match: resolution.match, queue: queue.name, popMs: call.popBuiltMs }, 'incoming call');
    return { kind: 'hold', nextCheckSec: queue.announceEverySec };
  }

  /** The agent takes the call: the provider connects the caller to the agent's endpoint. */
  accept(agentId: string, callId: string): Promise<void> {
    return this.answering.accept(agentId, callId);
  }

  /** The outbound leg of a virtual-hold callback ended: the agent moves to wrap-up. */
  callbackLegEnded(callId: string, reason: string, end: HoldingLegEnd): Promise<void> {
    return this.answering.callbackLegEnded(callId, reason, end);
  }

  /** Disposition and note (and, for a shared number, which customer it was); the agent is free again. */
  wrapUp(agentId: string, input: CallWrapup): Promise<void> {
    return this.answering.wrapUp(agentId, input);
  }

  /**
   * The agent's own state change (or a supervisor's for an agent). An agent holding an offer
   * who changes state declines it: the call goes to the next agent.
   */
  setAgentStatus(
    agentId: string,
    status: AgentStatus,
    reason?: string,
    opts: { onlyIf?: QueryFilter<User> } = {},
  ): Promise<{ status: AgentStatus; since: Date }> {
    return this.offers.setAgentStatus(agentId, status, reason, opts);
  }

  /** Offers waiting calls of a queue to free agents, oldest first. */
  dispatch(queue: string): Promise<void> {
    return this.offers.dispatch(queue);
  }

  /** A socket that (re)connects gets the pops of calls still offered to its agent. */
  replayOffers(socket: RingsideSocket): Promise<void> {
    return this.delivery.replayOffers(socket);
  }

  consoleLost(agentId: string): Promise<void> {
    return this.offers.consoleLost(agentId);
  }

  consoleBack(agentId: string): Promise<void> {
    return this.offers.consoleBack(agentId);
  }

  consoleExpired(agentId: string, whileDisconnected: boolean): Promise<void> {
    return this.offers.consoleExpired(agentId, whileDisconnected);
  }

  /** Stops timers (shutdown). Offers still pending are replayed or moved on by the next process. */
  close(): void {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    for (const reconciler of this.reconcilers) reconciler.stop();
    this.parts.states.close();
    this.parts.timers.close();
  }
}
