// Event translation for the Asterisk adapter: the ari-client events it listens to, handed on as
// plain calls, and the CallEvents built from what ARI reports.
import type { Channel, Client } from 'ari-client';
import type { CallEvent } from '@ringside/shared';

/** What the adapter does with the ARI events it listens to. */
export interface AriListener {
  /** A channel entered the Stasis app, with its arguments (`agent,<callId>`, `outbound,<reference>`, or a caller's). */
  stasisStart(args: string[], channel: Channel): void;
  /** A channel left the app or was destroyed; `reason` is Asterisk's cause text (or `hangup`). */
  channelGone(channelId: string, reason: string): void;
  /** A key pressed on a channel. */
  dtmf(channelId: string, digit: string): void;
  /** The events WebSocket connected (the first time, and after each reconnect). */
  connected(): void;
  log(level: 'warn' | 'error', msg: string): void;
}

export function listenToAri(client: Client, on: AriListener): void {
  client.on('StasisStart', (event, channel) => {
    const args = event.args ?? [];
    on.stasisStart(Array.isArray(args) ? args : [args], channel);
  });
  client.on('StasisEnd', (_event, channel) => on.channelGone(channel.id, 'hangup'));
  client.on('ChannelDestroyed', (event, channel) => on.channelGone(channel.id, event.cause_txt || 'hangup'));
  client.on('ChannelDtmfReceived', (event, channel) => on.dtmf(channel.id, event.digit));
  client.on('WebSocketConnected', () => on.connected());
  client.on('WebSocketReconnecting', () => on.log('warn', 'ARI WebSocket lost; reconnecting'));
  client.on('WebSocketMaxRetries', () => on.log('error', 'ARI WebSocket could not reconnect'));
}

/** A caller dialing in, as the channel that entered the app presents them. */
export function incomingCallEvent(channel: Channel, at: Date): CallEvent {
  return {
    type: 'call.incoming',
    provider: 'asterisk',
    callId: channel.id,
    from: channel.caller?.number ?? '',
    to: channel.dialplan?.exten ?? '',
    at,
    ...(channel.caller?.name ? { callerName: channel.caller.name } : {}),
  };
}

/** Why an outbound call that was never answered ended (busy, no answer, failed), from Asterisk's cause text. */
export function unansweredReason(reason: string): string {
  return /busy/i.test(reason) ? 'busy' : /answer/i.test(reason) ? 'no-answer' : reason;
}
