// What the parts of the call path share: the service's dependencies plus the queues, agent
// state, routing and the offer timers, built once by CallService.
import type { CallEvent, Provider } from '@ringside/shared';
import type { TelephonyProvider } from '@ringside/telephony';
import type { Models } from '../db/models';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Realtime } from '../realtime/gateway';
import type { Metrics } from '../metrics/metrics';
import type { QueueDirectory } from '../routing/queues';
import type { AgentStates } from '../routing/agent-state';
import type { Routing } from '../routing/routing.service';
import type { CustomerService } from '../customers/customers.service';
import type { CallStatsSink } from '../supervisor/supervisor.service';
import type { CallbackService } from '../callbacks/callbacks.service';
import type { CallbackDialer } from '../callbacks/callback-dialer';
import type { Timers } from './timers';

export interface CallServiceOptions {
  defaultCountry: string;
  /** How long the agent's console has to acknowledge a pop before the call moves on. */
  offerAckTimeoutMs: number;
  /** How long an agent has to accept an offered call before it moves on. */
  offerAcceptTimeoutMs: number;
  /** How long an agent's state outlives their last console (presence). */
  consoleGraceMs: number;
}

export interface CallServiceDeps {
  models: Models;
  clock: Clock;
  logger: Logger;
  realtime: Realtime;
  providers: Partial<Record<Provider, TelephonyProvider>>;
  metrics: Metrics;
  options: CallServiceOptions;
  /** What a user may do (the portfolio rule: may this agent see this customer?). */
  customers: Pick<CustomerService, 'abilityFor'>;
  /** Supervisors' live figures. */
  stats: CallStatsSink;
  /** The queues (configured in the database). */
  queues?: QueueDirectory;
  /** Virtual hold: the callback that keeps a caller's place, and the dialer that makes it. */
  callbacks?: Pick<CallbackService, 'scheduleFor'>;
  dialer?: Pick<CallbackDialer, 'dialHolding'>;
  /** Outbound calls placed for callbacks: their events go there (true = handled). */
  outbound?: (event: CallEvent) => Promise<boolean>;
}

export interface CallParts extends CallServiceDeps {
  queues: QueueDirectory;
  states: AgentStates;
  routing: Routing;
  timers: Timers;
}
