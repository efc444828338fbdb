import { z } from 'zod';
import { agentStatusSchema, type AgentStatus } from './roles';
import { dispositionSchema, type CallStatus } from './calls';
import type { ScreenPop } from './screen-pop';
import type { AckCallback } from './errors';
import type { QueueStats, SupervisorAlert } from './api/supervisor';

// Client → server payloads are zod schemas (validated on arrival); server → client payloads
// are plain types. One map, used by the server (`Server<ClientToServerEvents, ServerToClientEvents>`)
// and the console (`Socket<ServerToClientEvents, ClientToServerEvents>`).

export const agentStateSetSchema = z.object({
  status: agentStatusSchema.extract(['available', 'away', 'wrap_up', 'offline']),
  reason: z.string().trim().max(100).optional(),
  /** Supervisors may set another agent's state. */
  agentId: z.string().optional(),
});
export type AgentStateSet = z.infer<typeof agentStateSetSchema>;

export const callAcceptSchema = z.object({ callId: z.string().min(1) });
export type CallAccept = z.infer<typeof callAcceptSchema>;

export const callWrapupSchema = z.object({
  callId: z.string().min(1),
  disposition: dispositionSchema,
  note: z.string().trim().max(10_000).optional(),
  customerId: z.string().optional(),
});
export type CallWrapup = z.infer<typeof callWrapupSchema>;

export const callbackScheduleSchema = z.object({
  customerId: z.string().min(1),
  dueAt: z.iso.datetime({ offset: true }),
  reason: z.string().trim().min(1).max(200),
  phone: z.string().optional(),
  personal: z.boolean().default(true),
  queue: z.string().optional(),
});
export type CallbackSchedule = z.infer<typeof callbackScheduleSchema>;
/** What a client sends (defaults not yet applied). */
export type CallbackScheduleInput = z.input<typeof callbackScheduleSchema>;

export interface CallOffered {
  callId: string;
  from: string;
  to: string;
  queue: string;
  offeredAt: string;
  expiresAt: string;
  reason: string;
  /** A caller who asked to be called back while waiting: accepting dials the customer. */
  callback?: { callbackId: string; phone: string };
}

export interface CallUpdated {
  callId: string;
  status: CallStatus;
  at: string;
  agentId?: string;
}

/** The reason an agent's state carries when the grace passed without a console of theirs. */
export const CONSOLE_DISCONNECTED = 'console disconnected';

export interface AgentStateEvent {
  agentId: string;
  status: AgentStatus;
  reason?: string;
  since: string;
  /** False while no console of the agent is connected (the agent is offered no calls then). */
  connected?: boolean;
}

export interface CallbackAssigned {
  callbackId: string;
  customerId: string;
  dueAt: string;
  reason: string;
}

/** Why an offer was taken back from an agent and given to the next one. */
export const offerWithdrawnReasonSchema = z.enum([
  'declined',
  'not_accepted',
  'not_acknowledged',
  'console_disconnected',
]);
export type OfferWithdrawnReason = z.infer<typeof offerWithdrawnReasonSchema>;

/**
 * What ended a call on an agent's desk, as data for the console to word:
 * - `hangup`: the caller (or the provider) ended the call
 * - `offer_withdrawn`: the offer moved on to another agent, `withdrawn` says why
 * - `callback_postponed`: accepting a caller's callback found the customer outside calling hours;
 *   the callback is due again at `postponedTo` (ISO)
 * - `callback_unanswered`: the customer did not answer the callback the agent accepted
 */
export type CallEndKind = 'hangup' | 'offer_withdrawn' | 'callback_postponed' | 'callback_unanswered';

export type CallEnded = {
  callId: string;
  at: string;
  /** The server's words, for logs; the console words the end from `kind`, never from this. */
  reason: string;
} & (
  | {
      kind: 'hangup';
      /**
       * The caller had been connected to this agent: the call now waits for the agent's wrap-up,
       * even if the console had not heard the accept's answer yet (or reconnected since).
       */
      wrapUp?: boolean;
    }
  | { kind: 'offer_withdrawn'; withdrawn: OfferWithdrawnReason }
  | { kind: 'callback_postponed'; postponedTo: string }
  | { kind: 'callback_unanswered' }
);

export interface ServerToClientEvents {
  'call:offered': (offer: CallOffered) => void;
  screenpop: (pop: ScreenPop, ack: (received: boolean) => void) => void;
  'call:updated': (update: CallUpdated) => void;
  'call:ended': (ended: CallEnded) => void;
  'agent:state': (state: AgentStateEvent) => void;
  'queue:stats': (stats: QueueStats) => void;
  'callback:assigned': (callback: CallbackAssigned) => void;
  /** To supervisors: agents going away in numbers, or a server that is late. */
  'supervisor:alert': (alert: SupervisorAlert) => void;
}

export interface ClientToServerEvents {
  'agent:state:set': (payload: AgentStateSet, ack: AckCallback<AgentStateEvent>) => void;
  'call:accept': (payload: CallAccept, ack: AckCallback) => void;
  'call:wrapup': (payload: CallWrapup, ack: AckCallback) => void;
  'callback:schedule': (
    payload: CallbackScheduleInput,
    ack: AckCallback<{ callbackId: string; dueAt: string; postponed: boolean; created: boolean }>,
  ) => void;
}

/** What the server keeps on each authenticated socket. */
export interface SocketData {
  userId: string;
  roles: string[];
  name: string;
  /** The session the socket signed in with: ending it disconnects the socket. */
  sessionId: string;
}
