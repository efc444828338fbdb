// The REST operations the local ARI server carries out, keyed `resource.nickname` as in
// Asterisk's API documents (and ari-client: `client.channels.answer`). Messages and status codes
// follow res/ari/resource_*.c; documented operations not listed here answer 501.
import { arch, release } from 'node:os';
import { ariTimestamp } from './ari-models';
import { AriHttpError, type OperationArgs } from './ari-request';
import { HANGUP_REASONS, bridgeJson, channelJson, playbackJson, type SimBridge, type SimChannel } from './ari-state';
import type { AriWorld } from './ari-world';

/** The Asterisk release whose documents the server serves (see ../shared/ari-api-docs/README.md). */
export const ASTERISK_VERSION = '22.10.1';

export interface AriResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface OperationContext {
  world: AriWorld;
  asteriskId: string;
  startedAt: Date;
  /** Names of the Stasis applications registered so far. */
  applications(): string[];
  /** The bridge type attributes documented for `POST /bridges?type=`. */
  bridgeTypeAttributes: readonly string[];
}

type Handler = (ctx: OperationContext, args: OperationArgs) => AriResult;

const ok = (body: unknown): AriResult => ({ status: 200, body });
const noContent: AriResult = { status: 204 };

function playbackCreated(
  ctx: OperationContext,
  target: SimChannel | SimBridge,
  kind: 'channel' | 'bridge',
  args: OperationArgs,
  language: string,
): AriResult {
  if ((args.int('skipms') ?? 0) < 0) throw new AriHttpError(400, 'skipms cannot be negative');
  if ((args.int('offsetms') ?? 0) < 0) throw new AriHttpError(400, 'offsetms cannot be negative');
  const pb = ctx.world.startPlayback(
    { kind, id: target.id },
    args.list('media'),
    args.str('lang') ?? language,
    args.str('playbackId'),
  );
  return { status: 201, body: playbackJson(pb), headers: { Location: `/playbacks/${pb.id}` } };
}

function originate(ctx: OperationContext, args: OperationArgs, channelId: string | undefined): AriResult {
  const rawVariables = args.body?.variables;
  const variables: Record<string, string> = {};
  if (typeof rawVariables === 'object' && rawVariables !== null) {
    for (const [k, v] of Object.entries(rawVariables)) variables[k] = String(v);
  }
  const ch = ctx.world.originate({
    endpoint: args.str('endpoint') ?? '',
    app: args.str('app'),
    appArgs: args.str('appArgs'),
    extension: args.str('extension'),
    context: args.str('context'),
    priority: args.int('priority'),
    callerId: args.str('callerId'),
    timeout: args.int('timeout'),
    channelId: channelId ?? args.str('channelId'),
    otherChannelId: args.str('otherChannelId'),
    originator: args.str('originator'),
    variables,
  });
  return ok(channelJson(ch));
}

function applicationJson(ctx: OperationContext, name: string): Record<string, unknown> {
  return {
    name,
    channel_ids: [...ctx.world.channels.values()].filter((c) => c.app === name).map((c) => c.id),
    bridge_ids: [...ctx.world.bridges.values()].filter((b) => b.apps.has(name)).map((b) => b.id),
    endpoint_ids: [],
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  };
}

function bridgeTypes(ctx: OperationContext, type: string | undefined): string[] {
  const types = (type ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of types) {
    if (!ctx.bridgeTypeAttributes.includes(t)) {
      throw new AriHttpError(
        400,
        `Invalid bridge type attribute '${t}'; documented attributes: ${ctx.bridgeTypeAttributes.join(', ')}`,
      );
    }
  }
  return types.length > 0 ? types : ['mixing'];
}

export const operations: Readonly<Record<string, Handler>> = {
  'asterisk.getInfo': (ctx, args) => {
    const info: Record<string, unknown> = {
      build: {
        os: 'Linux',
        kernel: release(),
        options: '',
        machine: arch() === 'x64' ? 'x86_64' : arch(),
        date: ariTimestamp(ctx.startedAt),
        user: 'ringside',
      },
      system: { version: ASTERISK_VERSION, entity_id: ctx.asteriskId },
      config: { name: 'ringside-test', default_language: 'en', setid: { user: 'asterisk', group: 'asterisk' } },
      status: { startup_time: ariTimestamp(ctx.startedAt), last_reload_time: ariTimestamp(ctx.startedAt) },
    };
    const only = args.list('only');
    return ok(only.length > 0 ? Object.fromEntries(Object.entries(info).filter(([k]) => only.includes(k))) : info);
  },
  'asterisk.ping': (ctx) => ok({ asterisk_id: ctx.asteriskId, ping: 'pong', timestamp: ariTimestamp() }),

  'applications.list': (ctx) => ok(ctx.applications().map((name) => applicationJson(ctx, name))),
  'applications.get': (ctx, args) => {
    const name = args.path('applicationName');
    if (!ctx.applications().includes(name)) throw new AriHttpError(404, 'Application not found');
    return ok(applicationJson(ctx, name));
  },

  'channels.list': (ctx) => ok([...ctx.world.channels.values()].map(channelJson)),
  'channels.get': (ctx, args) => {
    const ch = ctx.world.channels.get(args.path('channelId'));
    if (!ch) throw new AriHttpError(404, 'Channel not found');
    return ok(channelJson(ch));
  },
  'channels.originate': (ctx, args) => originate(ctx, args, undefined),
  'channels.originateWithId': (ctx, args) => originate(ctx, args, args.path('channelId')),
  'channels.hangup': (ctx, args) => {
    const ch = ctx.world.channels.get(args.path('channelId'));
    if (!ch) throw new AriHttpError(404, 'Channel not found');
    const reason = args.str('reason');
    const reasonCode = args.str('reason_code');
    if (reason !== undefined && reasonCode !== undefined) {
      throw new AriHttpError(400, "The reason and reason_code can't both be specified");
    }
    let cause = 16;
    if (reasonCode !== undefined) {
      if (!/^\d+$/.test(reasonCode)) throw new AriHttpError(400, 'Invalid reason_code provided');
      cause = Number(reasonCode);
    } else if (reason !== undefined) {
      const mapped = HANGUP_REASONS[reason];
      if (mapped === undefined) throw new AriHttpError(400, 'Invalid reason for hangup provided');
      cause = mapped;
    }
    ctx.world.destroy(ch, cause, 'ari');
    return noContent;
  },
  'channels.answer': (ctx, args) => {
    ctx.world.answer(ctx.world.control(args.path('channelId')));
    return noContent;
  },
  'channels.ring': (ctx, args) => {
    ctx.world.control(args.path('channelId')).ringing = true;
    return noContent;
  },
  'channels.ringStop': (ctx, args) => {
    ctx.world.control(args.path('channelId')).ringing = false;
    return noContent;
  },
  'channels.startMoh': (ctx, args) => {
    ctx.world.control(args.path('channelId')).moh = args.str('mohClass') ?? 'default';
    return noContent;
  },
  'channels.stopMoh': (ctx, args) => {
    ctx.world.control(args.path('channelId')).moh = undefined;
    return noContent;
  },
  'channels.play': (ctx, args) => {
    const ch = ctx.world.control(args.path('channelId'));
    return playbackCreated(ctx, ch, 'channel', args, ch.language);
  },
  'channels.playWithId': (ctx, args) => {
    const ch = ctx.world.control(args.path('channelId'));
    return playbackCreated(ctx, ch, 'channel', args, ch.language);
  },
  'channels.getChannelVar': (ctx, args) => {
    const ch = ctx.world.control(args.path('channelId'));
    const value = ch.variables[args.str('variable') ?? ''];
    if (value === undefined) throw new AriHttpError(404, 'Provided variable was not found');
    return ok({ value });
  },
  'channels.setChannelVar': (ctx, args) => {
    const ch = ctx.world.control(args.path('channelId'));
    ch.variables[args.str('variable') ?? ''] = args.str('value') ?? '';
    return noContent;
  },

  'bridges.list': (ctx) => ok([...ctx.world.bridges.values()].map(bridgeJson)),
  'bridges.get': (ctx, args) => ok(bridgeJson(ctx.world.findBridge(args.path('bridgeId')))),
  'bridges.create': (ctx, args) => {
    const types = bridgeTypes(ctx, args.str('type'));
    return ok(bridgeJson(ctx.world.createBridge(args.str('bridgeId'), types, args.str('name') ?? '')));
  },
  'bridges.createWithId': (ctx, args) => {
    const id = args.path('bridgeId');
    const existing = ctx.world.bridges.get(id);
    if (existing) {
      const name = args.str('name');
      if (name && name !== existing.name) throw new AriHttpError(500, 'Changing bridge name is not implemented');
      if (args.str('type'))
        throw new AriHttpError(500, 'Supplying a bridge type when updating a bridge is not allowed.');
      return ok(bridgeJson(existing));
    }
    const types = bridgeTypes(ctx, args.str('type'));
    return ok(bridgeJson(ctx.world.createBridge(id, types, args.str('name') ?? '')));
  },
  'bridges.destroy': (ctx, args) => {
    ctx.world.destroyBridge(ctx.world.findBridge(args.path('bridgeId')));
    return noContent;
  },
  'bridges.addChannel': (ctx, args) => {
    const bridge = ctx.world.findBridge(args.path('bridgeId'));
    for (const ch of ctx.world.bridgeControls(args.list('channel'))) ctx.world.addToBridge(ch, bridge);
    return noContent;
  },
  'bridges.removeChannel': (ctx, args) => {
    const bridge = ctx.world.findBridge(args.path('bridgeId'));
    const channels = ctx.world.bridgeControls(args.list('channel'));
    if (channels.some((ch) => ch.bridgeId !== bridge.id)) throw new AriHttpError(422, 'Channel not in this bridge');
    for (const ch of channels) ctx.world.leaveBridge(ch, bridge);
    return noContent;
  },
  'bridges.startMoh': (ctx, args) => {
    ctx.world.findBridge(args.path('bridgeId')).moh = args.str('mohClass') ?? 'default';
    return noContent;
  },
  'bridges.stopMoh': (ctx, args) => {
    const bridge = ctx.world.findBridge(args.path('bridgeId'));
    if (bridge.moh === undefined) throw new AriHttpError(409, "Bridge isn't playing music");
    bridge.moh = undefined;
    return noContent;
  },
  'bridges.play': (ctx, args) =>
    playbackCreated(ctx, ctx.world.findBridge(args.path('bridgeId')), 'bridge', args, 'en'),
  'bridges.playWithId': (ctx, args) =>
    playbackCreated(ctx, ctx.world.findBridge(args.path('bridgeId')), 'bridge', args, 'en'),

  'playbacks.get': (ctx, args) => {
    const pb = ctx.world.playbacks.get(args.path('playbackId'));
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    return ok(playbackJson(pb));
  },
  'playbacks.stop': (ctx, args) => {
    const pb = ctx.world.playbacks.get(args.path('playbackId'));
    if (!pb) throw new AriHttpError(404, 'Playback not found');
    ctx.world.finishPlayback(pb, 'done');
    return noContent;
  },
};
