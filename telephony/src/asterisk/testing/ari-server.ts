// A local Asterisk ARI server for tests, the call simulator and benchmarks (the provider boundary):
// it serves Asterisk's own API documents (../shared/ari-api-docs) with `basePath` rewritten to the
// host asked, answers the REST operations Ringside uses with parameters checked against those
// documents, and speaks the events WebSocket with events shaped as events.json describes. Test
// controls play the outside world: callers dialing in, pressing keys and hanging up, agents'
// phones answering, being busy or ringing out.
//
// This module wires the parts together and holds the test controls: the REST face is in
// ari-rest.ts, the events WebSocket in ari-events-socket.ts, the simulated world in ari-world.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { loadAriDocs, type AriDocs } from './ari-docs';
import { AriEventsSocket } from './ari-events-socket';
import type { OperationContext } from './ari-operations';
import { AriRest, bridgeTypeAttributes, send } from './ari-rest';
import type {
  AriCommand,
  AriEvent,
  AriSentEvent,
  AriServer,
  AriServerEvents,
  AriServerOptions,
} from './ari-server-types';
import type { SimBridge, SimChannel, SimPlayback } from './ari-state';
import { AriWorld } from './ari-world';
import type { EndpointBehaviour, IncomingCallOptions } from './ari-world-types';

export type {
  AriCommand,
  AriEvent,
  AriSentEvent,
  AriServer,
  AriServerEvents,
  AriServerOptions,
} from './ari-server-types';
export type { EndpointBehaviour, IncomingCallOptions } from './ari-world-types';
export type { SimBridge, SimChannel, SimPlayback, ChannelState, CallerId } from './ari-state';
export { defaultAriDocsDir, loadAriDocs } from './ari-docs';
export { ariTimestamp, validateModel } from './ari-models';
export { ASTERISK_VERSION } from './ari-operations';

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
  private readonly sockets: AriEventsSocket;
  private readonly rest: AriRest;

  constructor(opts: AriServerOptions) {
    this.docs = loadAriDocs(opts.docsDir);
    this.app = opts.app ?? 'ringside';
    const asteriskId = opts.asteriskId ?? '52:54:00:a1:2b:3c';
    const credentials = { username: opts.username, password: opts.password };
    this.sockets = new AriEventsSocket({
      docs: this.docs,
      credentials,
      asteriskId,
      validationErrors: this.validationErrors,
      sentEvents: this.sentEvents,
      events: this.events,
    });
    this.world = new AriWorld(
      {
        publish: (type, payload, targets) => this.sockets.publish(type, payload, targets),
        isAppActive: (app) => this.sockets.connected(app),
      },
      { ringMs: opts.ringMs ?? 20, timeoutScale: opts.timeoutScale ?? 0.01, playbackMs: opts.playbackMs ?? 20 },
      this.app,
    );
    if (opts.defaultEndpointBehaviour) this.world.defaultBehaviour = opts.defaultEndpointBehaviour;
    const ctx: OperationContext = {
      world: this.world,
      asteriskId,
      startedAt: new Date(),
      applications: () => this.sockets.applications(),
      bridgeTypeAttributes: bridgeTypeAttributes(this.docs),
    };
    this.rest = new AriRest({
      docs: this.docs,
      credentials,
      ctx,
      validationErrors: this.validationErrors,
      record: (command) => {
        this.commands.push(command);
        this.events.emit('command', command);
      },
    });
    this.http = createServer((req, res) => {
      this.rest.handleRequest(req, res).catch((err: unknown) => {
        this.validationErrors.push(`internal error: ${String(err)}`);
        if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
      });
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.sockets.handleUpgrade(req, socket, head),
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
    return this.sockets.connectedApps();
  }

  connected(app: string): boolean {
    return this.sockets.connected(app);
  }

  dropConnections(): number {
    return this.sockets.dropConnections();
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
    if (this.sockets.connected(app)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!this.sockets.connected(app)) return;
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
    this.sockets.close();
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
