import type { CallEvent, Provider } from '@ringside/shared';

/** Where a waiting caller stands. */
export interface WaitAnnouncement {
  /** 1 = next in line. */
  position: number;
  /** Estimated seconds until an agent takes the call; null when it cannot be estimated. */
  etaSec: number | null;
}

/** What to do with a caller right now; the adapter turns it into TwiML or ARI commands. */
export type CallInstruction =
  /**
   * Answer and hold with music while routing; optionally tell the caller where they stand and
   * offer a callback (press 1). The adapter asks again (`call.waiting`) after `nextCheckSec`.
   */
  | { kind: 'hold'; announce?: string; wait?: WaitAnnouncement; offerCallback?: boolean; nextCheckSec?: number }
  /** Refuse the call (e.g. the number is blocked). */
  | { kind: 'reject'; reason: 'busy' | 'rejected' }
  /** Thank the caller and hang up: a callback will reach them (virtual hold). */
  | { kind: 'goodbye'; reason: 'callback-confirmed' };

/** The words a waiting caller hears (text-to-speech providers). */
export function waitAnnouncementText(wait: WaitAnnouncement): string {
  const where = wait.position <= 1 ? 'You are next in line.' : `You are number ${wait.position} in line.`;
  if (wait.etaSec === null) return where;
  const minutes = Math.max(1, Math.round(wait.etaSec / 60));
  return `${where} The estimated wait is about ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
}

export const CALLBACK_OFFER_TEXT = 'To keep your place in line and be called back instead, press 1.';
export const CALLBACK_CONFIRMED_TEXT =
  'Thank you. You keep your place in line, and we will call you back as soon as it is your turn. Goodbye.';

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
 * What a provider says of one call it was asked about: still in progress, or over. `reason` is the
 * provider's word for how it ended (Twilio's status, `not-found`, `channel-gone`); `endedAt` is when,
 * if the provider knows it.
 */
export type CallPresence = { live: true } | { live: false; reason: string; endedAt?: Date };

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
  /**
   * Asks the provider itself which of these calls are still in progress: how the server finds the
   * callers who hung up while their events were lost (the server was down or slow). Answers every
   * id asked, each `live` or not; a call the provider does not know is not live. When the provider
   * cannot say for every call (unreachable, refused) it throws a ProviderError and answers for none:
   * not knowing is never taken for "gone".
   */
  checkCalls(callIds: readonly string[]): Promise<Map<string, CallPresence>>;
  /** Release connections (WebSockets, timers). */
  close(): Promise<void>;
}

/**
 * A provider's API could not carry out a command: unreachable, or it refused. The server answers
 * it as "unavailable" (HTTP 503, a socket ack with that code), never as an internal error.
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly provider: Provider,
    /** What we asked for, as a verb phrase: "place the call", "send the text message". */
    readonly action: string,
    /** Why, in the provider's words (or "could not be reached"). */
    readonly reason: string,
    /** The provider's HTTP answer when it refused (a 4xx means it will not do it as asked). */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${provider} could not ${action}: ${reason}`, options);
  }
}
