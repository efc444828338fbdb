// The local ARI server's public shape: its options, the REST commands and events it records, and
// the AriServer interface that tests, the call simulator and benchmarks drive.
import type { EventEmitter } from 'node:events';
import type { AriDocs } from './ari-docs';
import type { SimBridge, SimChannel, SimPlayback } from './ari-state';
import type { EndpointBehaviour, IncomingCallOptions } from './ari-world-types';

export interface AriServerOptions {
  /** ARI user (ari.conf) that REST calls and the events WebSocket must authenticate as. */
  username: string;
  password: string;
  /** Stasis application simulated calls go to by default. Default `ringside`. */
  app?: string;
  /** Folder of Asterisk's API documents. Default `ARI_API_DOCS_DIR` or `<repo root>/../shared/ari-api-docs`. */
  docsDir?: string;
  /** How long an answering endpoint rings before it answers, in ms. Default 20. */
  ringMs?: number;
  /** Factor applied to an originate's `timeout` (seconds) before a ringing endpoint gives up. Default 0.01 (30 s → 300 ms). */
  timeoutScale?: number;
  /** How long each media item of a playback plays, in ms. Default 20. */
  playbackMs?: number;
  /** Behaviour of originated endpoints without their own setting. Default `answer`. */
  defaultEndpointBehaviour?: EndpointBehaviour;
  /** The `asterisk_id` (system entity id) put on events. */
  asteriskId?: string;
}

/** One REST request to `/ari/...` (api-docs downloads excluded), as received and answered. */
export interface AriCommand {
  method: string;
  /** Path below `/ari`, e.g. `/channels/1763900000.1/answer`. */
  path: string;
  /** `resource.nickname` from the documents, as ari-client names it (`channels.answer`); undefined for unknown paths. */
  operation: string | undefined;
  pathParams: Record<string, string>;
  /** Query parameters (without `api_key`) and JSON-body fields, as sent. */
  params: Record<string, string | string[]>;
  /** The parsed JSON body, if any (`{"variables": {...}}`). */
  body: unknown;
  status: number;
  response: unknown;
  at: Date;
}

/** An ARI event as sent on the events WebSocket. */
export type AriEvent = Record<string, unknown> & {
  type: string;
  application: string;
  timestamp: string;
  asterisk_id: string;
};

export interface AriSentEvent {
  event: AriEvent;
  /** False when the event's application had no events WebSocket (Asterisk drops it). */
  delivered: boolean;
  at: Date;
}

export interface AriServerEvents {
  command: [AriCommand];
  event: [AriSentEvent];
  connection: [{ apps: string[]; subscribeAll: boolean }];
  disconnection: [{ apps: string[] }];
}

export interface AriServer {
  /** Base URL for `ari.connect(url, user, pass)`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly app: string;
  readonly docs: AriDocs;
  readonly channels: ReadonlyMap<string, SimChannel>;
  readonly bridges: ReadonlyMap<string, SimBridge>;
  readonly playbacks: ReadonlyMap<string, SimPlayback>;
  readonly commands: readonly AriCommand[];
  readonly sentEvents: readonly AriSentEvent[];
  /** Responses or events that did not match the documents (the server's own bugs): should stay empty. */
  readonly validationErrors: readonly string[];
  readonly events: EventEmitter<AriServerEvents>;
  /** A caller dials in: a channel in state `Ring` enters Stasis and the app gets StasisStart. Returns the channel id. */
  simulateIncomingCall(options: IncomingCallOptions): string;
  /** The caller presses a key: ChannelDtmfReceived. */
  sendDtmf(channelId: string, digit: string, durationMs?: number): void;
  /** The far end hangs up (caller, or agent phone): ChannelHangupRequest, [ChannelLeftBridge], [StasisEnd], ChannelDestroyed. */
  hangup(channelId: string, cause?: number): void;
  /** The called party picks up an originated channel that is ringing (endpoint behaviour `ring`). */
  answer(channelId: string): void;
  /** How an originated endpoint (`Local/1001@agents`, `PJSIP/1001`, exactly as originated) responds. */
  setEndpointBehaviour(endpoint: string, behaviour: EndpointBehaviour): void;
  /** Stasis applications with a connected events WebSocket. */
  connectedApps(): string[];
  /** True while an events WebSocket has registered the application. */
  connected(app: string): boolean;
  /** Closes every events WebSocket abruptly (no close frame); channels and bridges stay. Returns how many. */
  dropConnections(): number;
  /** Resolves with the first past or future command that matches. */
  waitForCommand(match: (c: AriCommand) => boolean, timeoutMs?: number): Promise<AriCommand>;
  /** Resolves with the first past or future sent event that matches. */
  waitForEvent(match: (e: AriEvent) => boolean, timeoutMs?: number): Promise<AriSentEvent>;
  /** Resolves once an events WebSocket has registered the application. */
  waitForApp(app: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
