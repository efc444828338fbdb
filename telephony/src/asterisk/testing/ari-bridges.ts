// Bridges in the simulated Asterisk: creation with stasis_app_bridge_create's checks, channels
// entering and leaving (ChannelEnteredBridge, ChannelLeftBridge), and BridgeDestroyed.
import { randomUUID } from 'node:crypto';
import type { AriPlaybacks } from './ari-playbacks';
import { AriHttpError } from './ari-request';
import { bridgeJson, channelJson, type SimBridge, type SimChannel } from './ari-state';
import type { WorldHooks } from './ari-world-types';

export class AriBridges {
  constructor(
    private readonly bridges: Map<string, SimBridge>,
    private readonly channels: ReadonlyMap<string, SimChannel>,
    private readonly playbacks: AriPlaybacks,
    private readonly hooks: WorldHooks,
  ) {}

  /** `types` as asked (`type` defaults to `mixing`), already checked against the documented attributes. */
  create(id: string | undefined, types: string[], name: string): SimBridge {
    if (id !== undefined && this.bridges.has(id))
      throw new AriHttpError(409, 'Bridge with the same bridgeId already exists');
    const holding = types.includes('holding');
    // stasis_app_bridge_create: neither mixing nor holding (no capability), or both → no bridge.
    if (holding === types.includes('mixing')) throw new AriHttpError(500, 'Unable to create bridge');
    const bridge: SimBridge = {
      id: id ?? randomUUID(),
      name,
      types,
      bridgeType: holding ? 'holding' : 'mixing',
      channels: [],
      creationtime: new Date(),
      apps: new Set(),
      moh: undefined,
    };
    this.bridges.set(bridge.id, bridge);
    return bridge;
  }

  find(id: string): SimBridge {
    const bridge = this.bridges.get(id);
    if (!bridge) throw new AriHttpError(404, 'Bridge not found');
    return bridge;
  }

  /** Channels for addChannel/removeChannel, with resource_bridges.c's errors. */
  controls(ids: string[]): SimChannel[] {
    const list = ids.filter((id) => id !== '');
    if (list.length === 0) throw new AriHttpError(400, 'Missing parameter channel');
    return list.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new AriHttpError(400, 'Channel not found');
      if (!ch.inStasis) throw new AriHttpError(422, 'Channel not in Stasis application');
      return ch;
    });
  }

  add(ch: SimChannel, bridge: SimBridge): void {
    if (ch.bridgeId === bridge.id) return;
    const previous = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    if (previous) this.leave(ch, previous);
    bridge.channels.push(ch.id);
    ch.bridgeId = bridge.id;
    if (ch.app) bridge.apps.add(ch.app);
    this.hooks.publish(
      'ChannelEnteredBridge',
      { bridge: bridgeJson(bridge), channel: channelJson(ch) },
      { channel: ch, bridge },
    );
  }

  leave(ch: SimChannel, bridge: SimBridge): void {
    bridge.channels = bridge.channels.filter((id) => id !== ch.id);
    ch.bridgeId = undefined;
    this.hooks.publish(
      'ChannelLeftBridge',
      { bridge: bridgeJson(bridge), channel: channelJson(ch) },
      { channel: ch, bridge },
    );
  }

  destroy(bridge: SimBridge): void {
    for (const id of [...bridge.channels]) {
      const ch = this.channels.get(id);
      if (ch) this.leave(ch, bridge);
    }
    this.playbacks.finishAllOn('bridge', bridge.id);
    this.bridges.delete(bridge.id);
    this.hooks.publish('BridgeDestroyed', { bridge: bridgeJson(bridge) }, { bridge });
  }
}
