import type { Server as HttpServer } from 'node:http';
import { Server, type BroadcastOperator, type Socket } from 'socket.io';
import type { ClientToServerEvents, Role, ServerToClientEvents, SocketData } from '@ringside/shared';
import type { AuthService } from '../auth/auth.service';
import type { Logger } from '../logger';
import { toAppError } from '../errors';

/** What the server processes tell each other (through the Redis adapter). */
export interface InterServerEvents {
  /** These sessions ended: forget cached answers about them, then say so. */
  sessionsEnded: (ids: string[], done: (forgotten: boolean) => void) => void;
}

export type RingsideServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RingsideSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Sends typed events to one room. */
export type Room = BroadcastOperator<ServerToClientEvents, SocketData>;

export const userRoom = (userId: string) => `user:${userId}`;
export const roleRoom = (role: Role) => `role:${role}`;
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/**
 * Socket.IO on the HTTP server, authenticated with the same JWT as the API
 * (`io(url, {auth: {token}})`) of an open session. Each socket joins its user's room, its
 * session's room (ending the session disconnects it) and its roles' rooms;
 * everything is sent to rooms through `Realtime`, never to "everyone".
 */
export function createGateway(
  httpServer: HttpServer,
  deps: { auth: AuthService; logger: Logger; allowedOrigins: readonly string[] },
): RingsideServer {
  const io: RingsideServer = new Server(httpServer, {
    serveClient: false,
    cors: { origin: false },
    // A browser page elsewhere may not open a socket with a token it got hold of (the console is served by this server).
    allowRequest: (req, callback) => {
      const allowed = originAllowed(req.headers.origin, req.headers.host, deps.allowedOrigins);
      callback(allowed ? null : 'origin not allowed', allowed);
    },
  });
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    if (typeof token !== 'string' || !token) return next(new Error('unauthorized: missing token'));
    deps.auth.authenticate(token).then(
      (claims) => {
        socket.data = { userId: claims.sub, roles: claims.roles, name: claims.name, sessionId: claims.sid };
        next();
      },
      (err: unknown) => {
        // The token may be fine and the session store away (a database restart): the console
        // tries again instead of signing its user out.
        const refusal = toAppError(err);
        if (refusal.code === 'unauthorized') return next(new Error(`unauthorized: ${refusal.message}`));
        next(new Error(`unavailable: ${refusal.code === 'unavailable' ? refusal.message : 'try again shortly'}`));
      },
    );
  });
  io.on('connection', (socket) => {
    // The handshake has what we read of the upgrade request (`socket.handshake`); the request itself
    // (headers, raw headers, parser state) would otherwise stay in memory for the socket's whole life
    // (Socket.IO's "Memory usage" guide). Nothing here reads `socket.request` afterwards.
    (socket.conn as { request: unknown }).request = null;
    void socket.join([
      userRoom(socket.data.userId),
      sessionRoom(socket.data.sessionId),
      ...socket.data.roles.map((r) => roleRoom(r as Role)),
    ]);
    deps.logger.debug({ userId: socket.data.userId }, 'socket connected');
  });
  return io;
}

/** The one typed way to reach clients: a user's room or a role's room, never "everyone". */
export class Realtime {
  constructor(private readonly io: RingsideServer) {}

  /** `realtime.toUser(id).emit('call:offered', offer)`: typed by the shared event map. */
  toUser(userId: string): Room {
    return this.io.to(userRoom(userId));
  }

  toRole(role: Role): Room {
    return this.io.to(roleRoom(role));
  }
}

/**
 * Whether a socket may be opened from `origin`: no Origin (not a browser: the call simulator, a
 * script), the page's own origin (served by this server, whatever name it was reached by), or one
 * of `allowed` (PUBLIC_URL's and ALLOWED_ORIGINS).
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (!origin) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host && parsed.host === host.toLowerCase()) return true;
  return allowed.includes(parsed.origin);
}
