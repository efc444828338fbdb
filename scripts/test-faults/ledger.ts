// What the run's callers and consoles saw, call by call, and when each fault began and ended:
// the checks compare it with what the database says afterwards.

/** One pop as a console received it. */
export interface PopSeen {
  at: number;
  agent: number;
  /** The server process holding the console's socket then (from the /whereis probe). */
  consoleNode: string | undefined;
}

export interface CallRecord {
  sid: string;
  from: string;
  sentAt: number;
  /** The voice webhook's answer that counted (200), or the last refusal. */
  webhook?: { status: number; node: string | undefined; at: number; attempts: number };
  /** Never answered 200: the caller heard Twilio's fallback and hung up. */
  refused?: boolean;
  pops: PopSeen[];
  acceptedBy?: number;
  /** Twilio's REST stand-in was told to <Dial> an agent: the caller is talking. */
  dialedAt?: number;
  hungUp?: { at: number; why: 'talked' | 'refused' | 'drain'; status: number };
  wrappedAt?: number;
}

/** When each fault happened (epoch ms); filled in as the run goes. */
export interface FaultTimes {
  loadStart: number;
  loadEnd?: number;
  killAt?: number;
  killedNode?: string;
  restartedAt?: number;
  rebalancedAt?: number;
  dbStopAt?: number;
  /** When the database was started again (it may answer before `dbStartAt`, when the start returned). */
  dbStartingAt?: number;
  dbStartAt?: number;
  redisStopAt?: number;
  redisStartAt?: number;
}

export class Ledger {
  readonly calls = new Map<string, CallRecord>();
  readonly faults: FaultTimes = { loadStart: 0 };

  add(sid: string, from: string): CallRecord {
    const record: CallRecord = { sid, from, sentAt: Date.now(), pops: [] };
    this.calls.set(sid, record);
    return record;
  }

  get(sid: string): CallRecord | undefined {
    return this.calls.get(sid);
  }

  /** Callers in the system still waiting for an agent (not refused, not talking, not gone). */
  waiting(): CallRecord[] {
    return [...this.calls.values()].filter((c) => c.webhook?.status === 200 && !c.dialedAt && !c.hungUp);
  }
}
