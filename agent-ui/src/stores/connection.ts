import { ref } from 'vue';
import { defineStore } from 'pinia';
import type { Socket } from 'socket.io-client';
import { closeSocket, getSocket, openSocket, type RingsideSocket } from '../services/socket';

/**
 * - `offline`: no socket (signed out)
 * - `connecting`: first connection under way
 * - `connected`: live; calls and pops can arrive
 * - `reconnecting`: lost or not reached yet; the client keeps trying by itself
 * - `disconnected`: the server refused or closed the connection; only `reconnect()` retries
 */
export type ConnectionStatus = 'offline' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

const reasons: Record<Socket.DisconnectReason, string> = {
  'io server disconnect': 'The server closed the connection.',
  'io client disconnect': 'Disconnected.',
  'ping timeout': 'The server stopped answering.',
  'transport close': 'The connection was lost.',
  'transport error': 'The connection failed.',
  'parse error': 'The server sent something unreadable.',
};

/** The state of the real-time connection, for the indicator every screen shows. */
/** How soon a console refused as `unavailable` tries again. */
const RETRY_UNAVAILABLE_MS = 2000;

export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>('offline');
  /** Why the connection was lost or refused, in words for the agent. */
  const detail = ref<string | null>(null);
  const attempt = ref(0);

  // Detaches this store's listeners from the current socket; not state.
  let unbind: (() => void) | null = null;

  function watchSocket(socket: RingsideSocket): () => void {
    const onConnect = () => {
      status.value = 'connected';
      detail.value = null;
      attempt.value = 0;
    };
    // `socket.active` is false once the client has given up: the server refused the
    // handshake (e.g. an expired token) or closed the connection on purpose.
    const onDisconnect = (reason: Socket.DisconnectReason) => {
      status.value = socket.active ? 'reconnecting' : 'disconnected';
      detail.value = reasons[reason];
    };
    // While the client keeps trying, the error is a transport one ("xhr poll error"); once it
    // has given up, the message is the server's reason for refusing.
    const onConnectError = (error: Error) => {
      // Refused for now, not for good (the server's database is restarting): try again shortly.
      if (!socket.active && error.message.startsWith('unavailable')) {
        status.value = 'reconnecting';
        detail.value = 'The server cannot be reached.';
        setTimeout(() => {
          if (!socket.connected && !socket.active) socket.connect();
        }, RETRY_UNAVAILABLE_MS);
        return;
      }
      status.value = socket.active ? 'reconnecting' : 'disconnected';
      detail.value = socket.active ? 'The server cannot be reached.' : error.message;
    };
    const onReconnectAttempt = (n: number) => {
      status.value = 'reconnecting';
      attempt.value = n;
    };
    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.io.on('reconnect_attempt', onReconnectAttempt);
    return () => {
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.io.off('reconnect_attempt', onReconnectAttempt);
    };
  }

  /**
   * Opens the session's socket with `token` (replacing any previous one) and connects.
   * `listen` attaches the other stores' listeners before the first event can arrive; what it
   * returns detaches them when the socket goes.
   */
  function connect(token: string, listen?: (socket: RingsideSocket) => () => void): void {
    disconnect();
    const socket = openSocket(token);
    const unwatch = watchSocket(socket);
    const unlisten = listen?.(socket);
    unbind = () => {
      unwatch();
      unlisten?.();
    };
    status.value = 'connecting';
    socket.connect();
  }

  /** Tries again after the server refused or closed the connection. */
  function reconnect(): void {
    const socket = getSocket();
    if (!socket || socket.connected) return;
    status.value = 'connecting';
    detail.value = null;
    socket.connect();
  }

  /** Closes the socket, if any, and returns to `offline`. */
  function disconnect(): void {
    unbind?.();
    unbind = null;
    closeSocket();
    status.value = 'offline';
    detail.value = null;
    attempt.value = 0;
  }

  return { status, detail, attempt, connect, reconnect, disconnect };
});
