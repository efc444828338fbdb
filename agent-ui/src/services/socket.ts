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

/** What a client→server event carries. */
export type EventPayload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
/** What the server answers to a client→server event: `{ok: true, data?}` or `{ok: false, error, code?}`. */
export type EventAnswer<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/** How long an action waits for the server's answer before telling the agent. */
export const ACK_TIMEOUT_MS = 10_000;

/**
 * Sends `event` on the session's socket and resolves with the server's answer. Never throws:
 * no socket, no connection or no answer in time become `{ok: false}` with words for the agent.
 */
export async function send<E extends keyof ClientToServerEvents>(
  event: E,
  payload: EventPayload<E>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<EventAnswer<E>> {
  const socket = current;
  if (!socket?.connected) {
    return {
      ok: false,
      error: 'Not connected to the server. Wait for the connection to come back, then try again.',
      code: 'unavailable',
    };
  }
  // The event map types every event; one generic event name is more than socket.io's
  // overloads can follow, so the call is typed here once, from the same map.
  const timed = socket.timeout(timeoutMs);
  const emit = timed.emitWithAck as (event: E, payload: EventPayload<E>) => Promise<EventAnswer<E>>;
  try {
    return await emit.call(timed, event, payload);
  } catch {
    return { ok: false, error: 'The server did not answer in time. Try again.', code: 'unavailable' };
  }
}
