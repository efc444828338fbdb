// What the local ARI server simulates behind its REST and WebSocket faces: channels and the calls
// of the outside world (a caller dialing in, an agent's phone ringing, answering, being busy), and
// the ARI events each step produces, in Asterisk's order. Bridges and playbacks have their own
// modules (ari-bridges.ts, ari-playbacks.ts); the world holds them together.
import { AriBridges } from './ari-bridges';
import { ChannelNames, newChannel } from './ari-channels';
import { AriPlaybacks } from './ari-playbacks';
import { AriHttpError } from './ari-request';
import {
  CAUSE,
  causeText,
  channelJson,
  dialStatusForCause,
  parseCallerId,
  type ChannelState,
  type SimBridge,
  type SimChannel,
  type SimPlayback,
} from './ari-state';
import { WorldTimers } from './ari-timers';
import type {
  EndpointBehaviour,
  IncomingCallOptions,
  OriginateRequest,
  WorldHooks,
  WorldTiming,
} from './ari-world-types';

export type {
  EndpointBehaviour,
  EventTargets,
  IncomingCallOptions,
  OriginateRequest,
  WorldHooks,
  WorldTiming,
} from './ari-world-types';

export class AriWorld {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly endpointBehaviours = new Map<string, EndpointBehaviour>();
  defaultBehaviour: EndpointBehaviour = 'answer';
  private readonly names = new ChannelNames();
  private readonly timers = new WorldTimers();
  private readonly originateTimers = new Map<string, NodeJS.Timeout>();
  /** Originated channels waiting to be answered: the Stasis app and args they will enter with. */
  private readonly pendingStasis = new Map<string, { app: string; args: string[] }>();
  private readonly playing: AriPlaybacks;
  private readonly bridging: AriBridges;

  constructor(
    private readonly hooks: WorldHooks,
    private readonly timing: WorldTiming,
    private readonly defaultApp: string,
  ) {
    this.playing = new AriPlaybacks(this.playbacks, this.channels, this.bridges, hooks, timing, this.timers);
    this.bridging = new AriBridges(this.bridges, this.channels, this.playing, hooks);
  }

  dispose(): void {
    this.timers.clear();
    this.originateTimers.clear();
  }

  private publishChannel(type: string, ch: SimChannel, extra: Record<string, unknown> = {}): void {
    this.hooks.publish(type, { ...extra, channel: channelJson(ch) }, { channel: ch });
  }

  private checkNewId(id: string | undefined): void {
    if (id === undefined) return;
    if (id.length > 128) throw new AriHttpError(400, 'Uniqueid length exceeds maximum of 128');
    if (this.channels.has(id)) throw new AriHttpError(409, 'Channel with given unique ID already exists');
  }

  private setState(ch: SimChannel, state: ChannelState): void {
    if (ch.state === state) return;
    ch.state = state;
    this.publishChannel('ChannelStateChange', ch);
  }

  private enterStasis(ch: SimChannel, app: string, args: string[]): void {
    ch.app = app;
    ch.inStasis = true;
    ch.stasisArgs = args;
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
    this.publishChannel('StasisStart', ch, { args: [...args] });
  }

  /** A caller dials in: the channel rings (`Ring`) and enters Stasis; its app gets StasisStart. */
  incomingCall(o: IncomingCallOptions): SimChannel {
    const app = o.app ?? this.defaultApp;
    if (!this.hooks.isAppActive(app)) {
      throw new Error(
        `Stasis app '${app}' not registered: no events WebSocket is connected for it, so Asterisk would not hand the call over`,
      );
    }
    this.checkNewId(o.channelId);
    const endpoint = o.endpoint ?? 'PJSIP/trunk';
    const name = this.names.name(endpoint);
    const id = o.channelId ?? this.names.id();
    const ch = newChannel({
      id,
      name,
      state: 'Ring',
      caller: { name: o.callerName ?? '', number: o.callerNumber },
      connected: { name: '', number: '' },
      dialplan: {
        context: o.context ?? 'from-external',
        exten: o.exten ?? 's',
        priority: 1,
        app_name: '',
        app_data: '',
      },
      language: o.language ?? 'en',
      endpoint,
      app: undefined,
      direction: 'inbound',
      variables: {},
    });
    this.channels.set(id, ch);
    this.enterStasis(ch, app, o.args ?? []);
    return ch;
  }

  /** `POST /channels` and `POST /channels/{id}`: the new channel starts `Down` and dials asynchronously. */
  originate(r: OriginateRequest): SimChannel {
    const slash = r.endpoint.indexOf('/');
    if (slash <= 0 || slash === r.endpoint.length - 1) throw new AriHttpError(400, 'Invalid endpoint specified');
    if (!r.app && !r.extension) throw new AriHttpError(400, 'Application or extension must be specified');
    this.checkNewId(r.channelId);
    this.checkNewId(r.otherChannelId);
    if (r.originator !== undefined && !this.channels.has(r.originator)) {
      throw new AriHttpError(400, 'Provided originator channel was not found');
    }
    const callerId = parseCallerId(r.callerId);
    const name = this.names.name(r.endpoint);
    const id = r.channelId ?? this.names.id();
    const ch = newChannel({
      id,
      name,
      state: 'Down',
      caller: callerId,
      connected: { ...callerId },
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
      language: 'en',
      endpoint: r.endpoint,
      app: r.app, // stasis_app_subscribe_channel: the app hears about the channel from the start
      direction: 'outbound',
      variables: { ...r.variables },
    });
    this.channels.set(id, ch);
    if (r.app) this.pendingStasis.set(id, { app: r.app, args: r.appArgs ? r.appArgs.split(',') : [] });
    const dialstring = r.endpoint.slice(slash + 1);
    const behaviour = this.endpointBehaviours.get(r.endpoint) ?? this.defaultBehaviour;
    const timeoutSec = r.timeout === undefined || r.timeout === 0 ? 30 : r.timeout;
    const alive = () => this.channels.get(id) === ch;

    this.timers.later(0, () => {
      if (!alive()) return;
      this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: '' }, { channel: ch });
      if (behaviour === 'busy') {
        this.timers.later(this.timing.ringMs, () => {
          if (!alive()) return;
          this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'BUSY' }, { channel: ch });
          this.destroy(ch, CAUSE.busy, undefined);
        });
        return;
      }
      this.setState(ch, 'Ringing');
      this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'RINGING' }, { channel: ch });
      if (behaviour === 'answer') {
        this.timers.later(this.timing.ringMs, () => {
          if (alive() && ch.state === 'Ringing') this.farEndAnswer(ch);
        });
      }
      if (timeoutSec > 0) {
        const t = this.timers.later(timeoutSec * 1000 * this.timing.timeoutScale, () => {
          this.originateTimers.delete(id);
          if (!alive() || ch.state !== 'Ringing') return;
          this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'NOANSWER' }, { channel: ch });
          this.destroy(ch, CAUSE.noAnswer, undefined);
        });
        this.originateTimers.set(id, t);
      }
    });
    ch.dialplan = r.app
      ? ch.dialplan
      : {
          context: r.context ?? 'default',
          exten: r.extension ?? 's',
          priority: r.priority ?? 1,
          app_name: '',
          app_data: '',
        };
    return ch;
  }

  private stopRingingOut(ch: SimChannel): void {
    const timer = this.originateTimers.get(ch.id);
    if (timer) {
      this.timers.cancel(timer);
      this.originateTimers.delete(ch.id);
    }
  }

  /** The called party picks up an originated channel that is ringing. */
  farEndAnswer(ch: SimChannel): void {
    if (ch.direction !== 'outbound' || ch.state !== 'Ringing') {
      throw new Error(`channel ${ch.id} is not an originated channel that is ringing (state ${ch.state})`);
    }
    this.stopRingingOut(ch);
    this.setState(ch, 'Up');
    const dialstring = ch.endpoint.slice(ch.endpoint.indexOf('/') + 1);
    this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'ANSWER' }, { channel: ch });
    const stasis = this.pendingStasis.get(ch.id);
    this.pendingStasis.delete(ch.id);
    if (stasis) this.enterStasis(ch, stasis.app, stasis.args);
  }

  /** Finds a channel ARI may control, with Asterisk's errors (resource_channels.c find_control). */
  control(id: string): SimChannel {
    const ch = this.channels.get(id);
    if (!ch) throw new AriHttpError(404, 'Channel not found');
    if (!ch.inStasis) throw new AriHttpError(409, 'Channel not in Stasis application');
    return ch;
  }

  answer(ch: SimChannel): void {
    this.setState(ch, 'Up');
  }

  dtmf(ch: SimChannel, digit: string, durationMs: number): void {
    this.publishChannel('ChannelDtmfReceived', ch, { digit, duration_ms: durationMs });
  }

  /**
   * Ends a channel. `request` says who asked: the far end (a hangup request with the cause), ARI
   * (`DELETE /channels/{id}`, a soft hangup request), or nobody (a dial that failed).
   */
  destroy(ch: SimChannel, cause: number, request: 'remote' | 'ari' | undefined): void {
    if (this.channels.get(ch.id) !== ch) return;
    if (request === 'remote') this.publishChannel('ChannelHangupRequest', ch, { cause });
    if (request === 'ari') this.publishChannel('ChannelHangupRequest', ch, { cause, soft: true });
    if (request && ch.direction === 'outbound' && (ch.state === 'Ringing' || ch.state === 'Down')) {
      const dialstring = ch.endpoint.slice(ch.endpoint.indexOf('/') + 1);
      const dialstatus = request === 'ari' ? 'CANCEL' : dialStatusForCause(cause);
      this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus }, { channel: ch });
    }
    this.stopRingingOut(ch);
    this.playing.finishAllOn('channel', ch.id);
    const bridge = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    if (bridge) this.bridging.leave(ch, bridge);
    if (ch.inStasis) {
      ch.inStasis = false;
      this.publishChannel('StasisEnd', ch);
    }
    this.channels.delete(ch.id);
    this.pendingStasis.delete(ch.id);
    this.publishChannel('ChannelDestroyed', ch, { cause, cause_txt: causeText(cause) });
  }

  // ---- Bridges and playbacks (ari-bridges.ts, ari-playbacks.ts), as the REST operations use them ----

  /** `types` as asked (`type` defaults to `mixing`), already checked against the documented attributes. */
  createBridge(id: string | undefined, types: string[], name: string): SimBridge {
    return this.bridging.create(id, types, name);
  }

  findBridge(id: string): SimBridge {
    return this.bridging.find(id);
  }

  /** Channels for addChannel/removeChannel, with resource_bridges.c's errors. */
  bridgeControls(ids: string[]): SimChannel[] {
    return this.bridging.controls(ids);
  }

  addToBridge(ch: SimChannel, bridge: SimBridge): void {
    this.bridging.add(ch, bridge);
  }

  leaveBridge(ch: SimChannel, bridge: SimBridge): void {
    this.bridging.leave(ch, bridge);
  }

  destroyBridge(bridge: SimBridge): void {
    this.bridging.destroy(bridge);
  }

  /** Queues media on a channel or bridge: PlaybackStarted, PlaybackContinuing per further item, PlaybackFinished. */
  startPlayback(
    target: SimPlayback['target'],
    media: string[],
    language: string,
    playbackId: string | undefined,
  ): SimPlayback {
    return this.playing.start(target, media, language, playbackId);
  }

  finishPlayback(pb: SimPlayback, state: 'done' | 'failed'): void {
    this.playing.finish(pb, state);
  }
}
