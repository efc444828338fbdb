// The callback dialer's front door: due work, agents' accepts and provider reports in, and the
// parts that do the work (offering, placing, provider reports, outcomes) wired once.
import type { Types } from 'mongoose';
import type { CallEvent, Provider } from '@ringside/shared';
import { QueueDirectory } from '../routing/queues';
import { DEFAULT_DIALER_OPTIONS, type DialerDeps, type DialerParts, type HoldingLegEnd } from './dialer-parts';
import { Outcomes } from './outcomes';
import { Offering } from './offering';
import { Placing } from './placing';
import { ProviderReports } from './provider-reports';

export {
  DEFAULT_DIALER_OPTIONS,
  outsideCallingHours,
  type CallbackGuard,
  type DialerOptions,
  type GuardVerdict,
  type HoldingLegEnd,
} from './dialer-parts';

/**
 * Due callbacks: offered to their agent, then to the queue; dialed only once an agent has
 * accepted; no answer or busy → retried with back-off up to a cap, then failed with its history.
 * Calling hours are checked when each step runs, not when it was scheduled. Every step is one
 * conditional update, so a retried or concurrent run never offers or dials twice.
 */
export class CallbackDialer {
  private readonly offering: Offering;
  private readonly placing: Placing;
  private readonly reports: ProviderReports;

  constructor(deps: DialerDeps) {
    const parts: DialerParts = {
      ...deps,
      options: { ...DEFAULT_DIALER_OPTIONS, ...deps.options },
      queues: deps.queues ?? new QueueDirectory(deps.models),
    };
    const outcomes = new Outcomes(parts);
    this.offering = new Offering(parts, outcomes);
    this.placing = new Placing(parts, outcomes);
    this.reports = new ProviderReports(parts, outcomes, (callId, reason, end) =>
      this.onHoldingLegEnded?.(callId, reason, end),
    );
  }

  /** Told when the call of a virtual-hold callback ends (its agent moves to wrap-up); `end` says how, as data. */
  onHoldingLegEnded: ((callId: string, reason: string, end: HoldingLegEnd) => Promise<void>) | undefined;

  /** One pass over due work: returns what it did, for logs and tests. */
  processDue(limit = 500): Promise<{ offered: number; escalated: number; postponed: number }> {
    return this.offering.processDue(limit);
  }

  /** An agent takes an offered callback: only now is the customer dialed. */
  accept(callbackId: string, agentId: string): Promise<{ providerCallId: string }> {
    return this.placing.accept(callbackId, agentId);
  }

  /**
   * A virtual-hold callback reached the head of its queue and its agent accepted: dial now. Outside
   * the customer's calling hours it becomes an ordinary callback at the next window instead.
   */
  dialHolding(
    callbackId: Types.ObjectId,
    agentId: string,
    provider?: Provider,
  ): Promise<{ providerCallId: string } | { postponedTo: Date }> {
    return this.placing.dialHolding(callbackId, agentId, provider);
  }

  /**
   * Click-to-dial: the customer is called and, on answer, connected to the agent. Refused for a
   * customer who asked not to be called and outside the customer's calling hours.
   */
  dialForAgent(
    agentId: string,
    customer: { _id: Types.ObjectId; timeZone: string; flags?: { doNotCall?: boolean } },
    phone: string,
  ): Promise<{ providerCallId: string }> {
    return this.placing.dialForAgent(agentId, customer, phone);
  }

  /** Provider events of callback calls; true when the event belonged to a callback. */
  onProviderEvent(event: CallEvent): Promise<boolean> {
    return this.reports.onProviderEvent(event);
  }
}
