// Agent consoles as the desk uses them, one Socket.IO client each through the load balancer:
// acknowledge every pop, accept the offered call, wrap it up when the caller has hung up (and
// now and then schedule a follow-up callback), press Available again when the server says the
// agent is away or offline. What a person at the desk would retry, the console retries; every
// retry is counted.
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@ringside/shared';
import type { Ledger } from './ledger';
import { sleep } from './processes';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConsoleContext {
  url: string;
  ledger: Ledger;
  /** The server process behind nginx's X-Upstream answer. */
  nodeOf(upstream: string | null): string | undefined;
  counters: Counters;
  /** Every `callback:schedule` that was acknowledged: its id. */
  callbacksAcked: Set<string>;
}

/** What the consoles did, summed over all of them. */
export class Counters {
  private readonly counts = new Map<string, number>();

  add(name: string, by = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  entries(prefix: string): Array<[string, number]> {
    return [...this.counts].filter(([k]) => k.startsWith(prefix)).sort();
  }
}

interface InHand {
  acceptedAt: number;
  customerId: string | undefined;
  ended: boolean;
  wrapAttempts: number;
}

/** How long after accepting a console wraps up without having heard the caller hang up. */
const WRAP_WITHOUT_END_MS = 10_000;

export class AgentConsole {
  readonly socket: AgentSocket;
  /** The server process holding the socket (probed after every connect). */
  node: string | undefined;
  connectedAt: number | undefined;
  disconnectedAt: number | undefined;
  status: string | undefined;
  private readonly tried = new Set<string>();
  private readonly inHand = new Map<string, InHand>();
  private readonly wrapped = new Set<string>();
  private readonly wrapping = new Set<string>();
  private pressing: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    readonly n: number,
    readonly agentId: string,
    readonly key: string,
    token: string,
    private readonly ctx: ConsoleContext,
  ) {
    this.socket = connectSocket(ctx.url, {
      auth: { token },
      query: { console: key },
      transports: ['websocket'],
      forceNew: true,
    });
    const { counters } = ctx;
    this.socket.on('connect', () => {
      this.connectedAt = Date.now();
      counters.add('connects');
      void this.probe();
    });
    this.socket.on('disconnect', () => {
      this.disconnectedAt = Date.now();
      this.node = undefined;
      counters.add('disconnects');
    });
    this.socket.on('connect_error', (err) => {
      counters.add(`connect refused: ${err.message.slice(0, 60)}`);
      // As the desk does: refused for now (the database away), it tries again shortly.
      if (!this.socket.active && err.message.startsWith('unavailable'))
        setTimeout(() => this.socket.active || this.socket.connect(), 2000);
    });
    this.socket.on('screenpop', (pop, ack) => {
      ack(true);
      const call = ctx.ledger.get(pop.callId);
      call?.pops.push({ at: Date.now(), agent: n, consoleNode: this.node });
      counters.add('pops');
      if (this.inHand.has(pop.callId) || this.wrapped.has(pop.callId)) return counters.add('pops again (in hand)');
      void this.accept(pop.callId, pop.customer?.id);
    });
    this.socket.on('call:ended', (ended) => {
      if (ended.kind === 'offer_withdrawn') {
        counters.add(`withdrawn: ${ended.withdrawn}`);
        this.tried.delete(ended.callId);
        return;
      }
      const held = this.inHand.get(ended.callId);
      if (held) held.ended = true;
      if (held || this.tried.has(ended.callId)) void this.wrapUp(ended.callId, held?.customerId);
    });
    this.socket.on('agent:state', (state) => {
      if (state.agentId !== agentId) return;
      this.status = state.status;
      if (state.status === 'offline' || state.status === 'away') this.pressAvailable(state.reason ?? state.status);
    });
    this.watchdog = setInterval(() => this.wrapForgotten(), 1000);
  }

  /** The first time: the agent presses Available. */
  async ready(): Promise<void> {
    if (!this.socket.connected) await new Promise<void>((r) => this.socket.once('connect', () => r()));
    const ack = await this.socket.timeout(10_000).emitWithAck('agent:state:set', { status: 'available' });
    if (!ack.ok) throw new Error(`agent ${this.n} could not go available: ${ack.error}`);
    this.status = 'available';
  }

  /** Moves the console to where nginx sends it now (a reload of the page). */
  reload(): void {
    this.socket.disconnect();
    this.socket.connect();
  }

  close(): void {
    clearInterval(this.watchdog);
    clearTimeout(this.pressing);
    this.socket.close();
  }

  get holding(): number {
    return this.inHand.size;
  }

  private async probe(): Promise<void> {
    try {
      const res = await fetch(`${this.ctx.url}/whereis?console=${encodeURIComponent(this.key)}`, {
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (this.socket.connected) this.node = this.ctx.nodeOf(res.headers.get('x-upstream'));
    } catch {
      this.node = undefined;
    }
  }

  /** The agent sees "away" or "offline" on the desk and presses Available (after a moment). */
  private pressAvailable(why: string): void {
    clearTimeout(this.pressing);
    this.pressing = setTimeout(() => {
      if (this.status !== 'offline' && this.status !== 'away') return;
      this.ctx.counters.add(`pressed available again (${why.replace(/\s*\(.*\)$/, '')})`);
      void this.emit('agent:state:set', { status: 'available' }).then((ack) => {
        if (ack?.ok) this.status = 'available';
      });
    }, 500);
  }

  private async accept(callId: string, customerId: string | undefined): Promise<void> {
    this.tried.add(callId);
    const ack = await this.emit('call:accept', { callId });
    if (ack?.ok) {
      this.inHand.set(callId, { acceptedAt: Date.now(), customerId, ended: false, wrapAttempts: 0 });
      const call = this.ctx.ledger.get(callId);
      if (call) call.acceptedBy = this.n;
      this.ctx.counters.add('accepted');
    } else if (ack) {
      this.ctx.counters.add(`accept refused: ${ack.code ?? ack.error}`);
    }
  }

  private async wrapUp(callId: string, customerId: string | undefined): Promise<void> {
    if (this.wrapped.has(callId) || this.wrapping.has(callId)) return;
    this.wrapping.add(callId);
    const ack = await this.emit('call:wrapup', { callId, disposition: 'resolved' });
    this.wrapping.delete(callId);
    if (!ack?.ok) {
      this.ctx.counters.add(`wrap-up refused: ${ack ? `${ack.code ?? ''} ${ack.error}` : 'no answer'}`);
      // Where the server stands the call may not be over yet (the caller's hang-up still on its
      // way): the agent tries again in a while, a few times.
      const held = this.inHand.get(callId);
      if (held && ++held.wrapAttempts < 6) {
        held.acceptedAt = Date.now();
        held.ended = false;
      } else this.inHand.delete(callId);
      return;
    }
    this.wrapped.add(callId);
    this.inHand.delete(callId);
    this.tried.delete(callId);
    this.ctx.counters.add('wrapped up');
    const call = this.ctx.ledger.get(callId);
    if (call) call.wrappedAt = Date.now();
    // One call in four with a known customer ends with a follow-up in three days.
    if (customerId && this.n % 4 === callId.charCodeAt(callId.length - 1) % 4) {
      const due = new Date(Date.now() + 3 * 86_400_000);
      const scheduled = await this.emit('callback:schedule', {
        customerId,
        dueAt: due.toISOString(),
        reason: `fault run follow-up ${due.toISOString().slice(0, 10)}`,
      });
      if (!scheduled) this.ctx.counters.add('callback refused: no answer');
      else if (!scheduled.ok) this.ctx.counters.add(`callback refused: ${scheduled.code ?? scheduled.error}`);
      else if (scheduled.data) {
        this.ctx.callbacksAcked.add(scheduled.data.callbackId);
        this.ctx.counters.add(scheduled.data.created ? 'callbacks created' : 'callbacks found already there');
      }
    }
  }

  /** An accepted call whose end never reached the console: the agent heard the caller go and wraps up. */
  private wrapForgotten(): void {
    const now = Date.now();
    for (const [callId, held] of this.inHand) {
      if (held.ended || now - held.acceptedAt < WRAP_WITHOUT_END_MS) continue;
      held.ended = true;
      this.ctx.counters.add('wrapped up without call:ended');
      void this.wrapUp(callId, held.customerId);
    }
  }

  /**
   * One event with its ack, sent again while the server answers `unavailable` or not at all
   * (up to about 30 s, as an agent would press again), waiting for the socket when it is away.
   * Undefined when it never got an answer.
   */
  private async emit<E extends 'agent:state:set' | 'call:accept' | 'call:wrapup' | 'callback:schedule'>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Ack<AckData<E>> | undefined> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      if (!this.socket.connected) {
        await Promise.race([new Promise((r) => this.socket.once('connect', () => r(undefined))), sleep(5000)]);
      }
      let ack: Ack<AckData<E>> | undefined;
      try {
        // The typed emit cannot see through the union of events; each payload matches its event.
        const send = this.socket.timeout(8000).emitWithAck as (e: E, p: unknown) => Promise<Ack<AckData<E>>>;
        ack = await send.call(this.socket.timeout(8000), event, payload);
      } catch {
        this.ctx.counters.add(`${event} no answer`);
      }
      if (ack && (ack.ok || ack.code !== 'unavailable')) return ack;
      if (ack) this.ctx.counters.add(`${event} unavailable`);
      if (Date.now() > deadline) return ack;
      await sleep(Math.min(500 * attempt, 2000));
    }
  }
}

type AckData<E extends keyof ClientToServerEvents> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never;
