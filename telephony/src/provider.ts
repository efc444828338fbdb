import type { CallEvent, Provider } from '@ringside/shared';

/** What to do with a caller right now; the adapter turns it into TwiML or ARI commands. */
export type CallInstruction =
  /** Answer and hold with music (optionally announcing something first) while routing. */
  | { kind: 'hold'; announce?: string }
  /** Refuse the call (e.g. the number is blocked). */
  | { kind: 'reject'; reason: 'busy' | 'rejected' };

/** Where to ring an agent, per provider: a Twilio client identity or number, an Asterisk dial string. */
export interface AgentEndpoint {
  agentId: string;
  /** e.g. `client:agent1`, `+48221234567`, `PJSIP/1001`, `Local/1001@agents`. */
  address: string;
}

/** Receives provider traffic as normalized events; answers `call.incoming` with an instruction. */
export type CallEventHandler = (event: CallEvent) => Promise<CallInstruction | void>;

export interface OriginateRequest {
  /** E.164 number to dial. */
  to: string;
  /** Caller ID to present. */
  from: string;
  /** Our own reference for the call, echoed in events where the provider allows. */
  reference?: string;
  /** Ring this agent as soon as the customer answers (a callback). */
  connectTo?: AgentEndpoint;
  /** Seconds to ring the customer before giving up (no answer). */
  timeoutSec?: number;
}

/**
 * One interface for every provider: events in (`onEvent`), commands out. Knows nothing of
 * MongoDB or customers.
 */
export interface TelephonyProvider {
  readonly name: Provider;
  /** Registers the one handler that receives every normalized event. */
  onEvent(handler: CallEventHandler): void;
  /** Put the caller on hold with music. */
  hold(callId: string): Promise<void>;
  /** Connect the waiting caller to an agent. */
  connect(callId: string, agent: AgentEndpoint): Promise<void>;
  /** End the call. */
  hangup(callId: string, reason?: string): Promise<void>;
  /** Place an outbound call; the answer arrives as events for the returned call id. */
  originate(request: OriginateRequest): Promise<{ callId: string }>;
  /** Release connections (WebSockets, timers). */
  close(): Promise<void>;
}
