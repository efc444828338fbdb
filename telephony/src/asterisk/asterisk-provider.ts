import ari, { type Channel, type Client } from 'ari-client';
import type { CallEvent } from '@ringside/shared';
import type {
  AgentEndpoint,
  CallEventHandler,
  CallInstruction,
  CallPresence,
  OriginateRequest,
  TelephonyProvider,
} from '../provider';
import {
  bridgeWithAgent,
  checkCredentials,
  holdInBridge,
  listChannelIds,
  releaseCall,
  sayGoodbye,
  stopWaiting,
  waitingMedia,
  type ActiveCall,
} from './asterisk-actions';
import { incomingCallEvent, listenToAri, unansweredReason } from './asterisk-events';
import { promptMedia, type AsteriskOptions, type PromptName } from './asterisk-options';

export { DEFAULT_PROMPTS, type AsteriskOptions } from './asterisk-options';

/** Agent legs carry `agent,<callId>` as Stasis arguments, so they are never taken for callers. */
const AGENT_ARG = 'agent';

interface PendingAgentLeg {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Asterisk through ARI (`ari-client`): `StasisStart` → incoming call; the caller is answered and
 * held in a holding bridge with music on hold; on accept the agent's endpoint is originated into
 * the app and both channels are put in a mixing bridge. The ARI WebSocket reconnects by itself;
 * calls in progress are kept, and calls that ended while it was away are reported ended.
 * Listening to ARI is in asterisk-events.ts, the REST actions on a call in asterisk-actions.ts.
 */
export class AsteriskProvider implements TelephonyProvider {
  readonly name = 'asterisk' as const;
  private client: Client | undefined;
  private handler: CallEventHandler | undefined;
  private readonly calls = new Map<string, ActiveCall>();
  private readonly agentLegs = new Map<string, PendingAgentLeg>();
  private connects = 0;

  constructor(private readonly options: AsteriskOptions) {}

  onEvent(handler: CallEventHandler): void {
    this.handler = handler;
  }

  /** Connects to ARI and starts the Stasis application. */
  async start(): Promise<void> {
    await checkCredentials(this.options);
    const client = await ari.connect(this.options.url, this.options.username, this.options.password);
    this.client = client;
    listenToAri(client, {
      stasisStart: (args, channel) => this.guard(this.onStasisStart(args, channel)),
      channelGone: (channelId, reason) => this.guard(this.onChannelGone(channelId, reason)),
      dtmf: (channelId, digit) => {
        const call = this.calls.get(channelId);
        if (!call) return;
        this.guard(
          (async () => {
            const instruction = await this.emit({
              type: 'call.dtmf',
              provider: 'asterisk',
              callId: channelId,
              at: this.options.clock.now(),
              digit,
            });
            if (instruction) await this.perform(call, instruction);
          })(),
        );
      },
      connected: () => {
        this.connects += 1;
        if (this.connects > 1) this.guard(this.reconcile());
      },
      log: (level, msg) => this.log(level, msg),
    });
    await client.start(this.options.app);
    this.connects = Math.max(this.connects, 1);
    this.log('info', 'connected to ARI', { url: this.options.url, app: this.options.app });
  }

  private ari(): Client {
    if (!this.client) throw new Error('AsteriskProvider: not started');
    return this.client;
  }

  /** Event handlers run detached from ari-client: their failures are logged, never thrown. */
  private guard(work: Promise<unknown>): void {
    work.catch((err: unknown) => this.log('error', 'handling an ARI event failed', { err: String(err) }));
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>): void {
    this.options.log?.(level, msg, data);
  }

  private async emit(event: CallEvent): Promise<CallInstruction | void> {
    if (!this.handler) throw new Error('AsteriskProvider: no event handler registered');
    return this.handler(event);
  }

  /** Outbound calls waiting to be answered, with the agent to connect when they are. */
  private readonly outboundAgents = new Map<string, AgentEndpoint>();
  /** Outbound channels not answered yet: if they go away, the call ended unanswered. */
  private readonly pendingOutbound = new Set<string>();

  private async onStasisStart(args: string[], channel: Channel): Promise<void> {
    if (args[0] === AGENT_ARG && args[1]) return this.onAgentAnswered(args[1], channel);
    if (this.calls.has(channel.id)) return; // the same channel again after a reconnect
    if (args[0] === 'outbound') {
      // A call we placed was answered by the customer.
      this.pendingOutbound.delete(channel.id);
      this.calls.set(channel.id, { callId: channel.id, ended: false });
      await this.emit({
        type: 'call.answered',
        provider: 'asterisk',
        callId: channel.id,
        at: this.options.clock.now(),
        ...(args[1] ? { reference: args[1] } : {}),
      });
      const agent = this.outboundAgents.get(channel.id);
      this.outboundAgents.delete(channel.id);
      if (agent) await this.connect(channel.id, agent);
      return;
    }
    const call: ActiveCall = { callId: channel.id, ended: false };
    this.calls.set(channel.id, call);
    try {
      const instruction = await this.emit(incomingCallEvent(channel, this.options.clock.now()));
      if (instruction?.kind === 'reject') {
        await this.ari().channels.hangup({
          channelId: channel.id,
          reason: instruction.reason === 'busy' ? 'busy' : 'congestion',
        });
        return;
      }
      await holdInBridge(this.ari(), call);
      await this.perform(call, instruction ?? { kind: 'hold' });
    } catch (err) {
      this.log('error', 'could not take the incoming call', { callId: channel.id, err: String(err) });
    }
  }

  private prompt(name: PromptName): string {
    return promptMedia(this.options.prompts, name);
  }

  /**
   * Carries out what the server wants for a caller in the holding bridge: announcements are
   * played to the caller's channel over the music; `call.waiting` is asked again after
   * `nextCheckSec`; a goodbye thanks the caller and hangs up.
   */
  private async perform(call: ActiveCall, instruction: CallInstruction): Promise<void> {
    if (call.ended || call.mixingBridgeId || call.agentChannelId) return;
    const client = this.ari();
    if (instruction.kind === 'reject') {
      await client.channels.hangup({ channelId: call.callId, reason: 'congestion' });
      return;
    }
    if (instruction.kind === 'goodbye') return sayGoodbye(client, call, this.prompt('callbackConfirmed'));
    const media = waitingMedia(instruction, (name) => this.prompt(name));
    if (media.length > 0) await client.channels.play({ channelId: call.callId, media: media.join(',') });
    stopWaiting(call);
    if (instruction.nextCheckSec) {
      call.waitTimer = setTimeout(() => {
        delete call.waitTimer;
        this.guard(
          (async () => {
            if (call.ended) return;
            const next = await this.emit({
              type: 'call.waiting',
              provider: 'asterisk',
              callId: call.callId,
              at: this.options.clock.now(),
            });
            await this.perform(call, next ?? { kind: 'hold' });
          })(),
        );
      }, instruction.nextCheckSec * 1000);
      call.waitTimer.unref();
    }
  }

  async hold(callId: string): Promise<void> {
    const call = this.calls.get(callId);
    if (!call) throw new Error(`unknown call ${callId}`);
    if (!call.holdingBridgeId) await holdInBridge(this.ari(), call);
  }

  /** Rings the agent's endpoint into the app; when it answers, caller and agent share a mixing bridge. */
  async connect(callId: string, agent: AgentEndpoint): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.ended) throw new Error(`call ${callId} is not active`);
    const agentChannelId = `agent-${callId}`;
    stopWaiting(call);
    call.agentChannelId = agentChannelId;
    const answered = new Promise<void>((resolve, reject) => this.agentLegs.set(agentChannelId, { resolve, reject }));
    await this.ari().channels.originate({
      endpoint: agent.address,
      app: this.options.app,
      appArgs: `${AGENT_ARG},${callId}`,
      channelId: agentChannelId,
      timeout: this.options.agentRingTimeout ?? 30,
      callerId: callId,
    });
    await answered;
  }

  private async onAgentAnswered(callId: string, agentChannel: Channel): Promise<void> {
    const pending = this.agentLegs.get(agentChannel.id);
    const call = this.calls.get(callId);
    try {
      if (!call || call.ended) {
        await this.ari().channels.hangup({ channelId: agentChannel.id });
        throw new Error(`caller of ${callId} is gone`);
      }
      await bridgeWithAgent(this.ari(), call, agentChannel.id);
      this.agentLegs.delete(agentChannel.id);
      pending?.resolve();
      await this.emit({ type: 'call.answered', provider: 'asterisk', callId, at: this.options.clock.now() });
    } catch (err) {
      this.agentLegs.delete(agentChannel.id);
      pending?.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async onChannelGone(channelId: string, reason: string): Promise<void> {
    if (this.pendingOutbound.delete(channelId)) {
      // An outbound call that was never answered (busy, no answer, failed).
      this.outboundAgents.delete(channelId);
      await this.emit({
        type: 'call.ended',
        provider: 'asterisk',
        callId: channelId,
        at: this.options.clock.now(),
        reason: unansweredReason(reason),
      });
      return;
    }
    const leg = this.agentLegs.get(channelId);
    if (leg) {
      // The agent's phone never answered (busy, no answer, unreachable).
      this.agentLegs.delete(channelId);
      const waiting = [...this.calls.values()].find((c) => c.agentChannelId === channelId);
      if (waiting) delete waiting.agentChannelId; // still waiting: announcements go on
      leg.reject(new Error(`agent endpoint did not answer: ${reason}`));
      return;
    }
    const agentOf = [...this.calls.values()].find((c) => c.agentChannelId === channelId);
    if (agentOf && !agentOf.ended) {
      // The agent hung up: the caller's call is over too.
      await this.hangup(agentOf.callId).catch(() => undefined);
      return;
    }
    const call = this.calls.get(channelId);
    if (!call || call.ended) return;
    call.ended = true;
    this.calls.delete(channelId);
    stopWaiting(call);
    await releaseCall(this.ari(), call);
    await this.emit({
      type: 'call.ended',
      provider: 'asterisk',
      callId: channelId,
      at: this.options.clock.now(),
      reason,
    });
  }

  /** After a reconnect: calls whose channels vanished meanwhile are reported ended. */
  private async reconcile(): Promise<void> {
    try {
      const live = new Set((await this.ari().channels.list()).map((c) => c.id));
      for (const call of [...this.calls.values()]) {
        if (!live.has(call.callId)) await this.onChannelGone(call.callId, 'ended while ARI was disconnected');
      }
      this.log('info', 'ARI WebSocket reconnected', { activeCalls: this.calls.size });
    } catch (err) {
      this.log('error', 'reconciling calls after reconnect failed', { err: String(err) });
    }
  }

  /**
   * One `GET /channels` lists every channel Asterisk has: a call is live while its caller's channel
   * is listed. A call that is not is forgotten here too (its timers stopped, its bridges destroyed)
   * without an event: the caller of `checkCalls` ends it.
   */
  async checkCalls(callIds: readonly string[]): Promise<Map<string, CallPresence>> {
    const live = await listChannelIds(this.options);
    const answers = new Map<string, CallPresence>();
    for (const callId of callIds) {
      if (live.has(callId)) {
        answers.set(callId, { live: true });
        continue;
      }
      answers.set(callId, { live: false, reason: 'channel-gone' });
      const call = this.calls.get(callId);
      if (call && !call.ended) {
        call.ended = true;
        this.calls.delete(callId);
        stopWaiting(call);
        if (this.client) void releaseCall(this.client, call); // failures ignored
      }
    }
    return answers;
  }

  async hangup(callId: string, reason = 'normal'): Promise<void> {
    await this.ari().channels.hangup({ channelId: callId, reason });
  }

  async originate(request: OriginateRequest): Promise<{ callId: string }> {
    const template = this.options.outboundEndpoint ?? 'PJSIP/{number}@trunk';
    const channel = await this.ari().channels.originate({
      endpoint: template.replace('{number}', request.to),
      app: this.options.app,
      appArgs: `outbound,${request.reference ?? ''}`,
      callerId: request.from,
      ...(request.timeoutSec ? { timeout: request.timeoutSec } : {}),
    });
    this.pendingOutbound.add(channel.id);
    if (request.connectTo) this.outboundAgents.set(channel.id, request.connectTo);
    return { callId: channel.id };
  }

  async close(): Promise<void> {
    for (const call of this.calls.values()) stopWaiting(call);
    this.client?.stop();
    this.client = undefined;
  }
}
