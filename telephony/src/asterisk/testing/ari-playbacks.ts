// Playbacks in the simulated Asterisk: media queued on a channel or bridge and played item by item,
// announced with PlaybackStarted, PlaybackContinuing and PlaybackFinished.
import { randomUUID } from 'node:crypto';
import { AriHttpError } from './ari-request';
import { PLAYABLE_SCHEMES, playbackJson, type SimBridge, type SimChannel, type SimPlayback } from './ari-state';
import type { WorldTimers } from './ari-timers';
import type { EventTargets, WorldHooks, WorldTiming } from './ari-world-types';

export class AriPlaybacks {
  constructor(
    private readonly playbacks: Map<string, SimPlayback>,
    private readonly channels: ReadonlyMap<string, SimChannel>,
    private readonly bridges: ReadonlyMap<string, SimBridge>,
    private readonly hooks: WorldHooks,
    private readonly timing: WorldTiming,
    private readonly timers: WorldTimers,
  ) {}

  private targets(pb: SimPlayback): EventTargets {
    if (pb.target.kind === 'channel') {
      const channel = this.channels.get(pb.target.id);
      return channel ? { channel } : {};
    }
    const bridge = this.bridges.get(pb.target.id);
    return bridge ? { bridge } : {};
  }

  /** Queues media on a channel or bridge: PlaybackStarted, PlaybackContinuing per further item, PlaybackFinished. */
  start(target: SimPlayback['target'], media: string[], language: string, playbackId: string | undefined): SimPlayback {
    if (playbackId !== undefined && this.playbacks.has(playbackId)) {
      throw new AriHttpError(500, 'Failed to queue media for playback');
    }
    const pb: SimPlayback = {
      id: playbackId ?? randomUUID(),
      media,
      index: 0,
      targetUri: `${target.kind}:${target.id}`,
      language,
      state: 'queued',
      target,
    };
    this.playbacks.set(pb.id, pb);
    const playable = (uri: string) => PLAYABLE_SCHEMES.some((s) => uri.startsWith(s) && uri.length > s.length);
    const step = () => {
      if (this.playbacks.get(pb.id) !== pb) return;
      const uri = pb.media[pb.index] ?? '';
      if (!playable(uri)) return this.finish(pb, 'failed');
      this.timers.later(this.timing.playbackMs, () => {
        if (this.playbacks.get(pb.id) !== pb) return;
        if (pb.index + 1 >= pb.media.length) return this.finish(pb, 'done');
        pb.index += 1;
        pb.state = 'continuing';
        this.hooks.publish('PlaybackContinuing', { playback: playbackJson(pb) }, this.targets(pb));
        pb.state = 'playing';
        step();
      });
    };
    this.timers.later(0, () => {
      if (this.playbacks.get(pb.id) !== pb) return;
      pb.state = 'playing';
      this.hooks.publish('PlaybackStarted', { playback: playbackJson(pb) }, this.targets(pb));
      step();
    });
    return pb;
  }

  finish(pb: SimPlayback, state: 'done' | 'failed'): void {
    if (this.playbacks.get(pb.id) !== pb) return;
    pb.state = state;
    this.hooks.publish('PlaybackFinished', { playback: playbackJson(pb) }, this.targets(pb));
    this.playbacks.delete(pb.id);
  }

  /** Finishes every playback on a channel or bridge that is going away. */
  finishAllOn(kind: SimPlayback['target']['kind'], id: string): void {
    for (const pb of this.playbacks.values()) {
      if (pb.target.kind === kind && pb.target.id === id) this.finish(pb, 'done');
    }
  }
}
