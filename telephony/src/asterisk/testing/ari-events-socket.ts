// The local ARI server's events WebSocket (`/ari/events?app=a,b&api_key=user:pass[&subscribeAll=true]`):
// sessions and the Stasis applications they register, and events delivered to the apps concerned.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AriDocs } from './ari-docs';
import { ariTimestamp, validateModel } from './ari-models';
import { authorized, type AriCredentials } from './ari-rest';
import type { AriEvent, AriSentEvent, AriServerEvents } from './ari-server-types';
import type { EventTargets } from './ari-world-types';

interface Session {
  ws: WebSocket;
  apps: Set<string>;
  subscribeAll: boolean;
}

export interface AriEventsSocketOptions {
  docs: AriDocs;
  credentials: AriCredentials;
  /** The `asterisk_id` (system entity id) put on events. */
  asteriskId: string;
  /** Events that did not match the documents are added here (and not sent). */
  validationErrors: string[];
  /** Every event published, delivered or not, is added here. */
  sentEvents: AriSentEvent[];
  /** Gets `event`, `connection` and `disconnection`. */
  events: EventEmitter<AriServerEvents>;
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

export class AriEventsSocket {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Set<Session>();
  private readonly appOwner = new Map<string, Session>();
  private readonly knownApps = new Set<string>();

  constructor(private readonly o: AriEventsSocketOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ari/events') return rejectUpgrade(socket, 404, 'Not Found', 'Resource not found');
    if (!authorized(req, url.searchParams, this.o.credentials)) {
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
          asterisk_id: this.o.asteriskId,
          application: app,
        };
        if (previous.ws.readyState === WebSocket.OPEN) previous.ws.send(JSON.stringify(replaced));
      }
      this.appOwner.set(app, session);
      this.knownApps.add(app);
    }
    ws.on('close', () => this.endSession(session));
    ws.on('error', () => this.endSession(session));
    this.o.events.emit('connection', { apps, subscribeAll });
  }

  private endSession(session: Session): void {
    if (!this.sessions.delete(session)) return;
    for (const app of session.apps) if (this.appOwner.get(app) === session) this.appOwner.delete(app);
    this.o.events.emit('disconnection', { apps: [...session.apps] });
  }

  /** Delivers an event to every app concerned (the channel's app, the bridge's apps, subscribeAll sessions). */
  publish(type: string, payload: Record<string, unknown>, targets: EventTargets): void {
    const apps = new Set<string>();
    if (targets.channel?.app) apps.add(targets.channel.app);
    if (targets.bridge) for (const a of targets.bridge.apps) apps.add(a);
    for (const a of targets.apps ?? []) apps.add(a);
    for (const s of this.sessions) if (s.subscribeAll) for (const a of s.apps) apps.add(a);
    const timestamp = ariTimestamp();
    for (const application of apps) {
      const event: AriEvent = { type, timestamp, ...payload, asterisk_id: this.o.asteriskId, application };
      const problems = validateModel(this.o.docs.models, 'Message', event, type);
      if (problems.length > 0) {
        this.o.validationErrors.push(...problems);
        continue;
      }
      const session = this.appOwner.get(application);
      const delivered = session !== undefined && session.ws.readyState === WebSocket.OPEN;
      if (session && delivered) session.ws.send(JSON.stringify(event));
      const sent: AriSentEvent = { event, delivered, at: new Date() };
      this.o.sentEvents.push(sent);
      this.o.events.emit('event', sent);
    }
  }

  /** Every Stasis application ever registered. */
  applications(): string[] {
    return [...this.knownApps];
  }

  /** Stasis applications with a connected events WebSocket. */
  connectedApps(): string[] {
    return [...this.appOwner.keys()];
  }

  /** True while an events WebSocket has registered the application. */
  connected(app: string): boolean {
    return this.appOwner.has(app);
  }

  /** Closes every events WebSocket abruptly (no close frame). Returns how many. */
  dropConnections(): number {
    const sessions = [...this.sessions];
    for (const s of sessions) {
      s.ws.terminate();
      this.endSession(s);
    }
    return sessions.length;
  }

  close(): void {
    this.dropConnections();
    this.wss.close();
  }
}
