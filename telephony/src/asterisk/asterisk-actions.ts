// The ARI REST actions the Asterisk adapter takes on a call: checking the credentials, holding and
// mixing bridges, what a waiting caller hears, the goodbye, and cleaning up after the call.
import type { Client } from 'ari-client';
import { z } from 'zod';
import { ProviderError, type CallInstruction } from '../provider';
import type { AsteriskOptions, PromptName } from './asterisk-options';

/** A call the adapter looks after, keyed by the caller's channel id. */
export interface ActiveCall {
  callId: string;
  /** When to ask again what a waiting caller should hear. */
  waitTimer?: NodeJS.Timeout;
  holdingBridgeId?: string;
  mixingBridgeId?: string;
  agentChannelId?: string;
  ended: boolean;
}

/**
 * ari-client turns rejected credentials into an uncaught exception as well as a rejection: ask
 * once with a plain request so that a wrong password is a clear error, not a crash.
 */
export async function checkCredentials(options: Pick<AsteriskOptions, 'url' | 'username' | 'password'>): Promise<void> {
  const auth = Buffer.from(`${options.username}:${options.password}`).toString('base64');
  const probe = await fetch(`${options.url.replace(/\/$/, '')}/ari/asterisk/info`, {
    headers: { authorization: `Basic ${auth}` },
  });
  if (probe.status === 401) throw new Error('ARI refused the username or password (ARI_USERNAME / ARI_PASSWORD)');
  if (!probe.ok) throw new Error(`ARI answered ${probe.status} at ${options.url}`);
}

/** `GET /channels` answers a list of Channel models; the id is all we read. */
const channelListSchema = z.array(z.object({ id: z.string() }));

/**
 * The ids of every channel Asterisk has now (`GET /channels`). A plain request with a deadline:
 * ari-client's never settles when Asterisk cannot be reached. Failures are ProviderErrors.
 */
export async function listChannelIds(
  options: Pick<AsteriskOptions, 'url' | 'username' | 'password'>,
  timeoutMs = 10_000,
): Promise<Set<string>> {
  const action = 'list the channels';
  const auth = Buffer.from(`${options.username}:${options.password}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${options.url.replace(/\/$/, '')}/ari/channels`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ProviderError('asterisk', action, 'ARI could not be reached', undefined, { cause: err });
  }
  if (!res.ok) throw new ProviderError('asterisk', action, `ARI answered ${res.status}`, res.status);
  const parsed = channelListSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new ProviderError('asterisk', action, 'ARI answered something other than channels');
  return new Set(parsed.data.map((c) => c.id));
}

export function stopWaiting(call: ActiveCall): void {
  if (call.waitTimer) clearTimeout(call.waitTimer);
  delete call.waitTimer;
}

/** Answer, then a holding bridge of its own with music on hold. */
export async function holdInBridge(client: Client, call: ActiveCall): Promise<void> {
  await client.channels.answer({ channelId: call.callId });
  const bridge = await client.bridges.create({ type: 'holding', name: `hold-${call.callId}` });
  call.holdingBridgeId = bridge.id;
  await client.bridges.addChannel({ bridgeId: bridge.id, channel: call.callId });
  await client.bridges.startMoh({ bridgeId: bridge.id, mohClass: 'default' });
}

/** The agent answered: the caller leaves the holding bridge, and caller and agent share a mixing bridge. */
export async function bridgeWithAgent(client: Client, call: ActiveCall, agentChannelId: string): Promise<void> {
  if (call.holdingBridgeId) {
    await client.bridges.removeChannel({ bridgeId: call.holdingBridgeId, channel: call.callId });
    await client.bridges.destroy({ bridgeId: call.holdingBridgeId });
    delete call.holdingBridgeId;
  }
  const mixing = await client.bridges.create({ type: 'mixing', name: `call-${call.callId}` });
  call.mixingBridgeId = mixing.id;
  await client.bridges.addChannel({ bridgeId: mixing.id, channel: `${call.callId},${agentChannelId}` });
}

/** Plays `media` to the caller, waits until it has finished (15 s at most), then hangs up unless the caller has. */
export async function sayGoodbye(client: Client, call: ActiveCall, media: string): Promise<void> {
  stopWaiting(call);
  const playback = client.Playback();
  const finished = new Promise<void>((resolve) => {
    playback.once('PlaybackFinished', () => resolve());
    setTimeout(resolve, 15_000).unref();
  });
  await client.channels.play({ channelId: call.callId, media, playbackId: playback.id });
  await finished;
  if (!call.ended) await client.channels.hangup({ channelId: call.callId, reason: 'normal' }).catch(() => undefined);
}

/** What a waiting caller hears over the music: where they stand, the hold time, the callback offer. */
export function waitingMedia(
  instruction: Extract<CallInstruction, { kind: 'hold' }>,
  prompt: (name: PromptName) => string,
): string[] {
  const media: string[] = [];
  if (instruction.wait) {
    const { position, etaSec } = instruction.wait;
    if (position <= 1) media.push(prompt('next'));
    else media.push(prompt('thereAre'), `number:${position - 1}`, prompt('callsWaiting'));
    if (etaSec !== null)
      media.push(prompt('holdTime'), `number:${Math.max(1, Math.round(etaSec / 60))}`, prompt('minutes'));
  }
  if (instruction.offerCallback) media.push(prompt('callbackOffer'));
  return media;
}

/** After the call: the agent's leg is hung up and the call's bridges are destroyed (failures ignored). */
export async function releaseCall(client: Client, call: ActiveCall): Promise<void> {
  if (call.agentChannelId) await client.channels.hangup({ channelId: call.agentChannelId }).catch(() => undefined);
  for (const bridgeId of [call.holdingBridgeId, call.mixingBridgeId]) {
    if (bridgeId) await client.bridges.destroy({ bridgeId }).catch(() => undefined);
  }
}
