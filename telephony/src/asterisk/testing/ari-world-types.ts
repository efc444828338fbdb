// What the simulated Asterisk world is given and asked for: how originated endpoints behave, the
// hooks that publish its events and the timing it runs on, and incoming and originated calls.
import type { SimBridge, SimChannel } from './ari-state';

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
