// The simulated Asterisk state behind the local ARI server (channels, bridges, playbacks) and
// its JSON as ARI documents it (channels.json `Channel`, bridges.json `Bridge`, playbacks.json
// `Playback`), plus Asterisk's hangup causes and reasons.
import { ariTimestamp } from './ari-models';

export type ChannelState =
  | 'Down'
  | 'Rsrved'
  | 'OffHook'
  | 'Dialing'
  | 'Ring'
  | 'Ringing'
  | 'Up'
  | 'Busy'
  | 'Dialing Offhook'
  | 'Pre-ring'
  | 'Unknown';

export interface CallerId {
  name: string;
  number: string;
}

export interface DialplanCEP {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

/** A channel as the test server tracks it. Read it for assertions; change it only through the server. */
export interface SimChannel {
  id: string;
  name: string;
  protocolId: string;
  state: ChannelState;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: DialplanCEP;
  creationtime: Date;
  language: string;
  /** `Tech/resource` the channel belongs to (`PJSIP/trunk`, `Local/1001@agents`). */
  endpoint: string;
  /** Stasis application subscribed to this channel's events (the app it is, or is originated, into). */
  app: string | undefined;
  /** True between StasisStart and StasisEnd: only then does ARI control it (answer, moh, play, bridges). */
  inStasis: boolean;
  stasisArgs: string[];
  bridgeId: string | undefined;
  /** Music-on-hold class while `POST /channels/{id}/moh` is in effect. */
  moh: string | undefined;
  /** True while `POST /channels/{id}/ring` indicates ringing to the caller. */
  ringing: boolean;
  direction: 'inbound' | 'outbound';
  variables: Record<string, string>;
}

export interface SimBridge {
  id: string;
  name: string;
  /** The attributes asked for at creation (`mixing`, `holding`, `dtmf_events`, …). */
  types: string[];
  bridgeType: 'mixing' | 'holding';
  channels: string[];
  creationtime: Date;
  /** Stasis applications subscribed to the bridge (those whose channels have entered it). */
  apps: Set<string>;
  moh: string | undefined;
}

export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'done' | 'failed';

export interface SimPlayback {
  id: string;
  media: string[];
  index: number;
  targetUri: string;
  language: string;
  state: PlaybackState;
  /** The channel or bridge the playback belongs to (for event routing). */
  target: { kind: 'channel' | 'bridge'; id: string };
}

/** ast_cause2str for the causes a contact center meets. */
export const HANGUP_CAUSE_TEXT: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  3: 'No route to destination',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export const CAUSE = { normal: 16, busy: 17, noUserResponse: 18, noAnswer: 19, rejected: 21, congestion: 34 } as const;

/** `DELETE /channels/{id}?reason=` → hangup cause (convert_reason_to_hangup_code in resource_channels.c). */
export const HANGUP_REASONS: Readonly<Record<string, number>> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 18,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

export function causeText(cause: number): string {
  return HANGUP_CAUSE_TEXT[cause] ?? 'Unknown';
}

/** The `dialstatus` a Dial event reports when the called side ends with this cause. */
export function dialStatusForCause(cause: number): string {
  if (cause === 17) return 'BUSY';
  if (cause === 18 || cause === 19) return 'NOANSWER';
  if (cause === 34 || cause === 42) return 'CONGESTION';
  if (cause === 16) return 'CANCEL';
  return 'CHANUNAVAIL';
}

/**
 * `"Name" <number>` / `Name <number>` / `number` / `name` → caller id, as ast_callerid_parse does
 * (without `<…>`, the value is a number if, with ` ()-.` removed, only `0-9*#+` remain).
 */
export function parseCallerId(value: string | undefined): CallerId {
  if (!value) return { name: '', number: '' };
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(value);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: (m[3] ?? '').trim() };
  const shrunk = value.replace(/[\s().-]/g, '');
  return /^[0-9*#+]+$/.test(shrunk) ? { name: '', number: shrunk } : { name: value.trim(), number: '' };
}

export function channelJson(c: SimChannel): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: c.id,
    name: c.name,
    state: c.state,
    protocol_id: c.protocolId,
    caller: { ...c.caller },
    connected: { ...c.connected },
    accountcode: c.accountcode,
    dialplan: { ...c.dialplan },
    creationtime: ariTimestamp(c.creationtime),
    language: c.language,
  };
  return json;
}

export function bridgeJson(b: SimBridge): Record<string, unknown> {
  const technology =
    b.bridgeType === 'holding' ? 'holding_bridge' : b.channels.length > 2 ? 'softmix' : 'simple_bridge';
  return {
    id: b.id,
    technology,
    bridge_type: b.bridgeType,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    channels: [...b.channels],
    creationtime: ariTimestamp(b.creationtime),
    video_mode: b.bridgeType === 'holding' ? 'none' : 'talker',
  };
}

export function playbackJson(p: SimPlayback): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: p.id,
    media_uri: p.media[Math.min(p.index, p.media.length - 1)] ?? '',
    target_uri: p.targetUri,
    language: p.language,
    state: p.state,
  };
  const next = p.media[p.index + 1];
  if (next !== undefined && p.state !== 'done' && p.state !== 'failed') json.next_media_uri = next;
  return json;
}

/** Media URI schemes Asterisk's playback understands (res_stasis_playback.c). */
export const PLAYABLE_SCHEMES = ['sound:', 'recording:', 'number:', 'digits:', 'characters:', 'tone:'];
