// What the local ARI server simulates behind its REST and WebSocket faces: channels, bridges and
// playbacks, the calls of the outside world (a caller dialing in, an agent's phone ringing,
// answering, being busy), and the ARI events each step produces, in Asterisk's order.
import { randomUUID } from 'node:crypto';
import { AriHttpError } from './ari-docs';
import {
  CAUSE,
  PLAYABLE_SCHEMES,
  bridgeJson,
  causeText,
  channelJson,
  dialStatusForCause,
  parseCallerId,
  playbackJson,
  type CallerId,
  type ChannelState,
  type SimBridge,
  type SimChannel,
  type SimPlayback,
} from './ari-state';

/** How an originated endpoint responds: picks up, is busy, rings out, or rings until `answer()`. */
export type EndpointBehaviour = 'answer' | 'busy' | 'noanswer' | 'ring';

export interface EventTargets {
  channel?: SimChannel;
  bridge?: SimBridge;
  apps?: Iterable<string>;
}

export interface WorldHooks {
  /** Sends an ARI event (without `application`, `timestamp`, `asterisk_id`) to the apps concerned. */
  publish(type: string, payload: Record<string, unknown>, targets: EventTargets): void;
  /** True while an events WebSocket has registered the Stasis application. */
  isAppActive(app: string): boolean;
}

export interface WorldTiming {
  ringMs: number;
  timeoutScale: number;
  playbackMs: number;
}

export interface IncomingCallOptions {
  /** The caller's number as the trunk presents it (`channel.caller.number`). */
  callerNumber: string;
  callerName?: string;
  /** The dialed number / extension (`channel.dialplan.exten`). Default `s`. */
  exten?: string;
  /** Dialplan context that ran `Stasis()`. Default `from-external`. */
  context?: string;
  /** `Tech/resource` the call arrives on. Default `PJSIP/trunk`. */
  endpoint?: string;
  /** Stasis application; default the server's `app`. */
  app?: string;
  /** Arguments given to `Stasis(app,arg1,arg2)`, delivered in StasisStart `args`. */
  args?: string[];
  channelId?: string;
  language?: string;
}

export interface OriginateRequest {
  endpoint: string;
  app?: string;
  appArgs?: string;
  extension?: string;
  context?: string;
  priority?: number;
  callerId?: string;
  timeout?: number;
  channelId?: string;
  otherChannelId?: string;
  originator?: string;
  variables?: Record<string, string>;
}

export class AriWorld {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly endpointBehaviours = new Map<string, EndpointBehaviour>();
  defaultBehaviour: EndpointBehaviour = 'answer';
  private readonly epoch = Math.floor(Date.now() / 1000);
  private seq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly originateTimers = new Map<string, NodeJS.Timeout>();
  /** Originated channels waiting to be answered: the Stasis app and args they will enter with. */
  private readonly pendingStasis = new Map<string, { app: string; args: string[] }>();

  constructor(
    private readonly hooks: WorldHooks,
    private readonly timing: WorldTiming,
    private readonly defaultApp: string,
  ) {}

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.originateTimers.clear();
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private publishChannel(type: string, ch: SimChannel, extra: Record<string, unknown> = {}): void {
    this.hooks.publish(type, { ...extra, channel: channelJson(ch) }, { channel: ch });
  }

  private newChannelId(): string {
    return `${this.epoch}.${this.seq}`;
  }

  private channelName(endpoint: string): string {
    const seq = (++this.seq).toString(16).padStart(8, '0');
    const slash = endpoint.indexOf('/');
    const tech = endpoint.slice(0, slash);
    const resource = endpoint.slice(slash + 1);
    if (tech === 'Local') return `Local/${resource}-${seq};1`;
    return `${tech}/${resource.split('/')[0]?.split('@')[0] ?? resource}-${seq}`;
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
    const name = this.channelName(endpoint);
    const id = o.channelId ?? this.newChannelId();
    const caller: CallerId = { name: o.callerName ?? '', number: o.callerNumber };
    const ch: SimChannel = {
      id,
      name,
      protocolId: endpoint.startsWith('PJSIP/') ? `${randomUUID()}@127.0.0.1` : '',
      state: 'Ring',
      caller,
      connected: { name: '', number: '' },
      accountcode: '',
      dialplan: {
        context: o.context ?? 'from-external',
        exten: o.exten ?? 's',
        priority: 1,
        app_name: '',
        app_data: '',
      },
      creationtime: new Date(),
      language: o.language ?? 'en',
      endpoint,
      app: undefined,
      inStasis: false,
      stasisArgs: [],
      bridgeId: undefined,
      moh: undefined,
      ringing: false,
      direction: 'inbound',
      variables: {},
    };
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
    const name = this.channelName(r.endpoint);
    const id = r.channelId ?? this.newChannelId();
    const ch: SimChannel = {
      id,
      name,
      protocolId: r.endpoint.startsWith('PJSIP/') ? `${randomUUID()}@127.0.0.1` : '',
      state: 'Down',
      caller: callerId,
      connected: { ...callerId },
      accountcode: '',
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
      creationtime: new Date(),
      language: 'en',
      endpoint: r.endpoint,
      app: r.app, // stasis_app_subscribe_channel: the app hears about the channel from the start
      inStasis: false,
      stasisArgs: [],
      bridgeId: undefined,
      moh: undefined,
      ringing: false,
      direction: 'outbound',
      variables: { ...r.variables },
    };
    this.channels.set(id, ch);
    if (r.app) this.pendingStasis.set(id, { app: r.app, args: r.appArgs ? r.appArgs.split(',') : [] });
    const dialstring = r.endpoint.slice(slash + 1);
    const behaviour = this.endpointBehaviours.get(r.endpoint) ?? this.defaultBehaviour;
    const timeoutSec = r.timeout === undefined || r.timeout === 0 ? 30 : r.timeout;
    const alive = () => this.channels.get(id) === ch;

    this.later(0, () => {
      if (!alive()) return;
      this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: '' }, { channel: ch });
      if (behaviour === 'busy') {
        this.later(this.timing.ringMs, () => {
          if (!alive()) return;
          this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'BUSY' }, { channel: ch });
          this.destroy(ch, CAUSE.busy, undefined);
        });
        return;
      }
      this.setState(ch, 'Ringing');
      this.hooks.publish('Dial', { peer: channelJson(ch), dialstring, dialstatus: 'RINGING' }, { channel: ch });
      if (behaviour === 'answer') {
        this.later(this.timing.ringMs, () => {
          if (alive() && ch.state === 'Ringing') this.farEndAnswer(ch);
        });
      }
      if (timeoutSec > 0) {
        const t = this.later(timeoutSec * 1000 * this.timing.timeoutScale, () => {
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

  /** The called party picks up an originated channel that is ringing. */
  farEndAnswer(ch: SimChannel): void {
    if (ch.direction !== 'outbound' || ch.state !== 'Ringing') {
      throw new Error(`channel ${ch.id} is not an originated channel that is ringing (state ${ch.state})`);
    }
    const timer = this.originateTimers.get(ch.id);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(timer);
      this.originateTimers.delete(ch.id);
    }
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
    const timer = this.originateTimers.get(ch.id);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(timer);
      this.originateTimers.delete(ch.id);
    }
    for (const pb of this.playbacks.values()) {
      if (pb.target.kind === 'channel' && pb.target.id === ch.id) this.finishPlayback(pb, 'done');
    }
    const bridge = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    if (bridge) this.leaveBridge(ch, bridge);
    if (ch.inStasis) {
      ch.inStasis = false;
      this.publishChannel('StasisEnd', ch);
    }
    this.channels.delete(ch.id);
    this.pendingStasis.delete(ch.id);
    this.publishChannel('ChannelDestroyed', ch, { cause, cause_txt: causeText(cause) });
  }

  /** `types` as asked (`type` defaults to `mixing`), already checked against the documented attributes. */
  createBridge(id: string | undefined, types: string[], name: string): SimBridge {
    if (id !== undefined && this.bridges.has(id))
      throw new AriHttpError(409, 'Bridge with the same bridgeId already exists');
    const holding = types.includes('holding');
    // stasis_app_bridge_create: neither mixing nor holding (no capability), or both → no bridge.
    if (holding === types.includes('mixing')) throw new AriHttpError(500, 'Unable to create bridge');
    const bridge: SimBridge = {
      id: id ?? randomUUID(),
      name,
      types,
      bridgeType: holding ? 'holding' : 'mixing',
      channels: [],
      creationtime: new Date(),
      apps: new Set(),
      moh: undefined,
    };
    this.bridges.set(bridge.id, bridge);
    return bridge;
  }

  findBridge(id: string): SimBridge {
    const bridge = this.bridges.get(id);
    if (!bridge) throw new AriHttpError(404, 'Bridge not found');
    return bridge;
  }

  /** Channels for addChannel/removeChannel, with resource_bridges.c's errors. */
  bridgeControls(ids: string[]): SimChannel[] {
    const list = ids.filter((id) => id !== '');
    if (list.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    return list.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!ch.inStasis) throw new AriHttpError(422, 'Channel not in Stasis application');
      return ch;
    });
  }

  addToBridge(ch: SimChannel, bridge: SimBridge): void {
    if (ch.bridgeId === bridge.id) return;
    const previous = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    if (previous) this.leaveBridge(ch, previous);
    bridge.channels.push(ch.id);
    ch.bridgeId = bridge.id;
    if (ch.app) bridge.apps.add(ch.app);
    this.hooks.publish(
      'ChannelEnteredBridge',
      { bridge: bridgeJson(bridge), channel: channelJson(ch) },
      { channel: ch, bridge },
    );
  }

  leaveBridge(ch: SimChannel, bridge: SimBridge): void {
    bridge.channels = bridge.channels.filter((id) => id !== ch.id);
    ch.bridgeId = undefined;
    this.hooks.publish(
      'ChannelLeftBridge',
      { bridge: bridgeJson(bridge), channel: channelJson(ch) },
      { channel: ch, bridge },
    );
  }

  destroyBridge(bridge: SimBridge): void {
    for (const id of [...bridge.channels]) {
      const ch = this.channels.get(id);
      if (ch) this.leaveBridge(ch, bridge);
    }
    for (const pb of this.playbacks.values()) {
      if (pb.target.kind === 'bridge' && pb.target.id === bridge.id) this.finishPlayback(pb, 'done');
    }
    this.bridges.delete(bridge.id);
    this.hooks.publish('BridgeDestroyed', { bridge: bridgeJson(bridge) }, { bridge });
  }

  private playbackTargets(pb: SimPlayback): EventTargets {
    if (pb.target.kind === 'channel') {
      const channel = this.channels.get(pb.target.id);
      return channel ? { channel } : {};
    }
    const bridge = this.bridges.get(pb.target.id);
    return bridge ? { bridge } : {};
  }

  /** Queues media on a channel or bridge: PlaybackStarted, PlaybackContinuing per further item, PlaybackFinished. */
  startPlayback(
    target: SimPlayback['target'],
    media: string[],
    language: string,
    playbackId: string | undefined,
  ): SimPlayback {
    if (playbackId !== undefined && this.playbacks.has(playbackId)) {
      throw new AriHttpError(500, 'Failed to queue media for playback');
    }
    const pb: SimPlayback = {
      id: playbackId ?? randomUUID(),
      media,
      index: 0,
      targetUri: `${target.kind}:${target.id}`,
      language,
      state: 'queued',
      target,
    };
    this.playbacks.set(pb.id, pb);
    const playable = (uri: string) => PLAYABLE_SCHEMES.some((s) => uri.startsWith(s) && uri.length > s.length);
    const step = () => {
      if (this.playbacks.get(pb.id) !== pb) return;
      const uri = pb.media[pb.index] ?? '';
      if (!playable(uri)) return this.finishPlayback(pb, 'failed');
      this.later(this.timing.playbackMs, () => {
        if (this.playbacks.get(pb.id) !== pb) return;
        if (pb.index + 1 >= pb.media.length) return this.finishPlayback(pb, 'done');
        pb.index += 1;
        pb.state = 'continuing';
        this.hooks.publish('PlaybackContinuing', { playback: playbackJson(pb) }, this.playbackTargets(pb));
        pb.state = 'playing';
        step();
      });
    };
    this.later(0, () => {
      if (this.playbacks.get(pb.id) !== pb) return;
      pb.state = 'playing';
      this.hooks.publish('PlaybackStarted', { playback: playbackJson(pb) }, this.playbackTargets(pb));
      step();
    });
    return pb;
  }

  finishPlayback(pb: SimPlayback, state: 'done' | 'failed'): void {
    if (this.playbacks.get(pb.id) !== pb) return;
    pb.state = state;
    this.hooks.publish('PlaybackFinished', { playback: playbackJson(pb) }, this.playbackTargets(pb));
    this.playbacks.delete(pb.id);
  }
}
