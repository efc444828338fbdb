import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@ringside/shared';

/** The console's end of the socket, typed by the shared event map. */
export type RingsideSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The one place a socket is made: on this page's origin (Vite proxies `/socket.io` in
 * development), authenticated with the session's token, and not connected until asked.
 */
export function createSocket(token: string): RingsideSocket {
  return io({ auth: { token }, autoConnect: false });
}

// The signed-in session's socket. It lives here, not in Pinia state: it is a connection, not
// data to render, and a reactive proxy around it would serve no one. Stores expose actions.
let current: RingsideSocket | null = null;

/** Replaces any previous socket with a new, not yet connected one for `token`. */
export function openSocket(token: string): RingsideSocket {
  closeSocket();
  current = createSocket(token);
  return current;
}

/** The current session's socket, if one is open. */
export function getSocket(): RingsideSocket | null {
  return current;
}

/** Disconnects and forgets the current socket; does nothing when there is none. */
export function closeSocket(): void {
  current?.disconnect();
  current = null;
}
