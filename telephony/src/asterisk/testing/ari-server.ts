// A local Asterisk ARI server for tests, the call simulator and benchmarks (the provider boundary):
// it serves Asterisk's own API documents (../shared/ari-api-docs) with `basePath` rewritten to the
// host asked, answers the REST operations Ringside uses with parameters checked against those
// documents, and speaks the events WebSocket with events shaped as events.json describes. Test
// controls play the outside world: callers dialing in, pressing keys and hanging up, agents'
// phones answering, being busy or ringing out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import {
  AriHttpError,
  ariTimestamp,
  loadAriDocs,
  matchRoute,
  parseArgs,
  servedDocument,
  validateModel,
  type AriDocs,
} from './ari-docs';
import { operations, type AriResult, type OperationContext } from './ari-operations';
import type { SimBridge, SimChannel, SimPlayback } from './ari-state';
import { AriWorld, type EndpointBehaviour, type EventTargets, type IncomingCallOptions } from './ari-world';

export type { EndpointBehaviour, IncomingCallOptions } from './ari-world';
export type { SimBridge, SimChannel, SimPlayback, ChannelState, CallerId } from './ari-state';
export { ariTimestamp, defaultAriDocsDir, loadAriDocs, validateModel } from './ari-docs';
export { ASTERISK_VERSION } from './ari-operations';

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

interface Session {
  ws: WebSocket;
  apps: Set<string>;
  subscribeAll: boolean;
}

const FALLBACK_BRIDGE_TYPES = [
  'mixing',
  'holding',
  'dtmf_events',
  'proxy_media',
  'video_sfu',
  'video_single',
  'sdp_label',
];

function bridgeTypeAttributes(docs: AriDocs): string[] {
  const route = docs.routes.find((r) => r.name === 'bridges.create');
  const description = route?.operation.parameters?.find((p) => p.name === 'type')?.description ?? '';
  const listed = /\(([^)]+)\)/.exec(description)?.[1];
  return listed ? listed.split(',').map((s) => s.trim()) : FALLBACK_BRIDGE_TYPES;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, message: string, headers: string[] = []): void {
  const body = JSON.stringify({ message });
  socket.end(
    [
      `HTTP/1.1 ${status} ${reason}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...headers,
      '',
      body,
    ].join('\r\n'),
  );
}

class LocalAriServer implements AriServer {
  readonly docs: AriDocs;
  readonly app: string;
  readonly commands: AriCommand[] = [];
  readonly sentEvents: AriSentEvent[] = [];
  readonly validationErrors: string[] = [];
  readonly events = new EventEmitter<AriServerEvents>();
  url = '';
  port = 0;
  private readonly world: AriWorld;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Set<Session>();
  private readonly appOwner = new Map<string, Session>();
  private readonly knownApps = new Set<string>();
  private readonly asteriskId: string;
  private readonly ctx: OperationContext;

  constructor(private readonly opts: AriServerOptions) {
    this.docs = loadAriDocs(opts.docsDir);
    this.app = opts.app ?? 'ringside';
    this.asteriskId = opts.asteriskId ?? '52:54:00:a1:2b:3c';
    this.world = new AriWorld(
      {
        publish: (type, payload, targets) => this.publish(type, payload, targets),
        isAppActive: (app) => this.appOwner.has(app),
      },
      { ringMs: opts.ringMs ?? 20, timeoutScale: opts.timeoutScale ?? 0.01, playbackMs: opts.playbackMs ?? 20 },
      this.app,
    );
    if (opts.defaultEndpointBehaviour) this.world.defaultBehaviour = opts.defaultEndpointBehaviour;
    this.ctx = {
      world: this.world,
      asteriskId: this.asteriskId,
      startedAt: new Date(),
      applications: () => [...this.knownApps],
      bridgeTypeAttributes: bridgeTypeAttributes(this.docs),
    };
    this.http = createServer((req, res) => {
      this.handleRequest(req, res).catch((err: unknown) => {
        this.validationErrors.push(`internal error: ${String(err)}`);
        if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      });
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
  }

  get channels(): ReadonlyMap<string, SimChannel> {
    return this.world.channels;
  }
  get bridges(): ReadonlyMap<string, SimBridge> {
    return this.world.bridges;
  }
  get playbacks(): ReadonlyMap<string, SimPlayback> {
    return this.world.playbacks;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  // ---- HTTP: Basic auth or ?api_key=user:pass, like res_ari.c authenticate_user ----
  private authorized(req: IncomingMessage, query: URLSearchParams): boolean {
    const check = (credentials: string) => {
      const i = credentials.indexOf(':');
      return (
        i >= 0 && credentials.slice(0, i) === this.opts.username && credentials.slice(i + 1) === this.opts.password
      );
    };
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) return check(Buffer.from(header.slice(6), 'base64').toString('utf8'));
    const key = query.get('api_key');
    return key !== null && check(key);
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    if (!url.pathname.startsWith('/ari/')) return send(res, 404, { message: 'Resource not found' });
    if (!this.authorized(req, url.searchParams)) {
      return send(
        res,
        401,
        { message: 'Authentication required' },
        { 'WWW-Authenticate': 'Basic realm="Asterisk REST Interface"' },
      );
    }
    const path = url.pathname.slice('/ari'.length);
    const doc = /^\/api-docs\/(\w+)\.json$/.exec(path);
    if (doc?.[1]) {
      if (method !== 'GET') return send(res, 405, { message: 'Unsupported method' });
      const host = req.headers.host;
      const served = servedDocument(this.docs, doc[1], host ? `http://${host}/ari` : '');
      if (!served) return send(res, 404, { message: 'Resource not found' });
      if (!host) delete served.basePath; // Asterisk: without a Host header there is no basePath
      return send(res, 200, served);
    }

    const params: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      if (k === 'api_key') continue;
      const prev = params[k];
      params[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const match = matchRoute(this.docs, method, path);
    const command: AriCommand = {
      method,
      path,
      operation: match.kind === 'found' ? match.route.name : undefined,
      pathParams: match.kind === 'found' ? match.pathValues : {},
      params,
      body: undefined,
      status: 0,
      response: undefined,
      at: new Date(),
    };
    let result: AriResult;
    try {
      let body: Record<string, unknown> | undefined;
      if (text.trim() !== '' && /json/i.test(req.headers['content-type'] ?? '')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new AriHttpError(400, 'Error parsing request body');
        }
        command.body = parsed;
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          body = Object.fromEntries(Object.entries(parsed));
          for (const [k, v] of Object.entries(body)) {
            if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = String(v);
            else if (Array.isArray(v)) params[k] = v.map((x) => String(x));
          }
        }
      }
      if (match.kind === 'not-found') throw new AriHttpError(404, 'Resource not found');
      if (match.kind === 'method-not-allowed') {
        result = { status: 405, body: { message: 'Invalid method' }, headers: { Allow: match.allowed.join(', ') } };
      } else {
        const args = parseArgs(match.route, match.pathValues, url.searchParams, body);
        const handler = operations[match.route.name];
        result = handler
          ? handler(this.ctx, args)
          : { status: 501, body: { message: 'not implemented by the test server' } };
        if (result.status >= 200 && result.status < 300) {
          const problems = validateModel(
            this.docs.models,
            match.route.operation.responseClass,
            result.body,
            match.route.name,
          );
          if (problems.length > 0) {
            this.validationErrors.push(...problems);
            result = { status: 500, body: { message: 'Response validation failed' } };
          }
        }
      }
    } catch (err) {
      if (!(err instanceof AriHttpError)) throw err;
      result = { status: err.status, body: { message: err.message } };
    }
    command.status = result.status;
    command.response = result.body;
    this.commands.push(command);
    this.events.emit('command', command);
    send(res, result.status, result.body, result.headers);
  }

  // ---- Events WebSocket: /ari/events?app=a,b&api_key=user:pass[&subscribeAll=true] ----
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ari/events') return rejectUpgrade(socket, 404, 'Not Found', 'Resource not found');
    if (!this.authorized(req, url.searchParams)) {
      return rejectUpgrade(socket, 401, 'Unauthorized', 'Authentication required', [
        'WWW-Authenticate: Basic realm="Asterisk REST Interface"',
      ]);
    }
    const apps = url.searchParams
      .getAll('app')
      .flatMap((a) => a.split(','))
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (apps.length === 0) return rejectUpgrade(socket, 400, 'Bad Request', "Missing param 'app'");
    const subscribeAll = ['true', 'yes', '1', 'on'].includes(
      (url.searchParams.get('subscribeAll') ?? '').toLowerCase(),
    );
    this.wss.handleUpgrade(req, socket, head, (ws) => this.openSession(ws, apps, subscribeAll));
  }

  private openSession(ws: WebSocket, apps: string[], subscribeAll: boolean): void {
    const session: Session = { ws, apps: new Set(apps), subscribeAll };
    this.sessions.add(session);
    for (const app of apps) {
      const previous = this.appOwner.get(app);
      if (previous && previous !== session) {
        previous.apps.delete(app);
        const replaced = {
          type: 'ApplicationReplaced',
          timestamp: ariTimestamp(),
          asterisk_id: this.asteriskId,
          application: app,
        };
        if (previous.ws.readyState === WebSocket.OPEN) previous.ws.send(JSON.stringify(replaced));
      }
      this.appOwner.set(app, session);
      this.knownApps.add(app);
    }
    ws.on('close', () => this.endSession(session));
    ws.on('error', () => this.endSession(session));
    this.events.emit('connection', { apps, subscribeAll });
  }

  private endSession(session: Session): void {
    if (!this.sessions.delete(session)) return;
    for (const app of session.apps) if (this.appOwner.get(app) === session) this.appOwner.delete(app);
    this.events.emit('disconnection', { apps: [...session.apps] });
  }

  /** Delivers an event to every app concerned (the channel's app, the bridge's apps, subscribeAll sessions). */
  private publish(type: string, payload: Record<string, unknown>, targets: EventTargets): void {
    const apps = new Set<string>();
    if (targets.channel?.app) apps.add(targets.channel.app);
    if (targets.bridge) for (const a of targets.bridge.apps) apps.add(a);
    for (const a of targets.apps ?? []) apps.add(a);
    for (const s of this.sessions) if (s.subscribeAll) for (const a of s.apps) apps.add(a);
    const timestamp = ariTimestamp();
    for (const application of apps) {
      const event: AriEvent = { type, timestamp, ...payload, asterisk_id: this.asteriskId, application };
      const problems = validateModel(this.docs.models, 'Message', event, type);
      if (problems.length > 0) {
        this.validationErrors.push(...problems);
        continue;
      }
      const session = this.appOwner.get(application);
      const delivered = session !== undefined && session.ws.readyState === WebSocket.OPEN;
      if (session && delivered) session.ws.send(JSON.stringify(event));
      const sent: AriSentEvent = { event, delivered, at: new Date() };
      this.sentEvents.push(sent);
      this.events.emit('event', sent);
    }
  }

  // ---- Test controls ----
  private channel(id: string): SimChannel {
    const ch = this.world.channels.get(id);
    if (!ch) throw new Error(`no channel ${id} on the test ARI server`);
    return ch;
  }

  simulateIncomingCall(options: IncomingCallOptions): string {
    return this.world.incomingCall(options).id;
  }

  sendDtmf(channelId: string, digit: string, durationMs = 100): void {
    if (!/^[0-9A-D*#]$/.test(digit)) throw new Error(`not a DTMF digit: ${JSON.stringify(digit)}`);
    this.world.dtmf(this.channel(channelId), digit, durationMs);
  }

  hangup(channelId: string, cause = 16): void {
    this.world.destroy(this.channel(channelId), cause, 'remote');
  }

  answer(channelId: string): void {
    this.world.farEndAnswer(this.channel(channelId));
  }

  setEndpointBehaviour(endpoint: string, behaviour: EndpointBehaviour): void {
    this.world.endpointBehaviours.set(endpoint, behaviour);
  }

  connectedApps(): string[] {
    return [...this.appOwner.keys()];
  }

  connected(app: string): boolean {
    return this.appOwner.has(app);
  }

  dropConnections(): number {
    const sessions = [...this.sessions];
    for (const s of sessions) {
      s.ws.terminate();
      this.endSession(s);
    }
    return sessions.length;
  }

  private waitFor<T>(
    past: readonly T[],
    on: 'command' | 'event',
    pick: (x: AriCommand | AriSentEvent) => T | undefined,
    match: (x: T) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const found = past.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (x: AriCommand | AriSentEvent) => {
        const item = pick(x);
        if (item === undefined || !match(item)) return;
        clearTimeout(timer);
        this.events.off(on, listener);
        resolve(item);
      };
      const timer = setTimeout(() => {
        this.events.off(on, listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.events.on(on, listener);
    });
  }

  waitForCommand(match: (c: AriCommand) => boolean, timeoutMs = 5000): Promise<AriCommand> {
    return this.waitFor(
      this.commands,
      'command',
      (x) => ('operation' in x ? x : undefined),
      match,
      timeoutMs,
      'an ARI command',
    );
  }

  waitForEvent(match: (e: AriEvent) => boolean, timeoutMs = 5000): Promise<AriSentEvent> {
    return this.waitFor(
      this.sentEvents,
      'event',
      (x) => ('event' in x ? x : undefined),
      (s) => match(s.event),
      timeoutMs,
      'an ARI event',
    );
  }

  waitForApp(app: string, timeoutMs = 5000): Promise<void> {
    if (this.appOwner.has(app)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!this.appOwner.has(app)) return;
        clearTimeout(timer);
        this.events.off('connection', listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.off('connection', listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for Stasis app '${app}' to connect`));
      }, timeoutMs);
      this.events.on('connection', listener);
    });
  }

  async close(): Promise<void> {
    this.world.dispose();
    for (const s of [...this.sessions]) {
      s.ws.terminate();
      this.endSession(s);
    }
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}

/** Starts the local ARI server on 127.0.0.1, on a free port. */
export async function startAriServer(options: AriServerOptions): Promise<AriServer> {
  const server = new LocalAriServer(options);
  await server.listen();
  return server;
}
