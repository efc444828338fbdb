// How the simulated Asterisk makes channels: names and unique ids the way Asterisk gives them
// (`PJSIP/trunk-00000001`, `<epoch>.<seq>`), and a new channel's initial state.
import { randomUUID } from 'node:crypto';
import type { SimChannel } from './ari-state';

/** Hands out channel names and unique ids in Asterisk's form. */
export class ChannelNames {
  private readonly epoch = Math.floor(Date.now() / 1000);
  private seq = 0;

  /** `Tech/resource-<seq>` (`Local/…-<seq>;1` for Local channels); each call takes the next sequence number. */
  name(endpoint: string): string {
    const seq = (++this.seq).toString(16).padStart(8, '0');
    const slash = endpoint.indexOf('/');
    const tech = endpoint.slice(0, slash);
    const resource = endpoint.slice(slash + 1);
    if (tech === 'Local') return `Local/${resource}-${seq};1`;
    return `${tech}/${resource.split('/')[0]?.split('@')[0] ?? resource}-${seq}`;
  }

  /** The unique id that goes with the name handed out last: `<epoch>.<seq>`. */
  id(): string {
    return `${this.epoch}.${this.seq}`;
  }
}

export type ChannelStart = Pick<
  SimChannel,
  | 'id'
  | 'name'
  | 'state'
  | 'caller'
  | 'connected'
  | 'dialplan'
  | 'language'
  | 'endpoint'
  | 'app'
  | 'direction'
  | 'variables'
>;

/** A channel as it comes into being: not in Stasis yet, in no bridge, no music on hold, not ringing. */
export function newChannel(c: ChannelStart): SimChannel {
  return {
    id: c.id,
    name: c.name,
    protocolId: c.endpoint.startsWith('PJSIP/') ? `${randomUUID()}@127.0.0.1` : '',
    state: c.state,
    caller: c.caller,
    connected: c.connected,
    accountcode: '',
    dialplan: c.dialplan,
    creationtime: new Date(),
    language: c.language,
    endpoint: c.endpoint,
    app: c.app,
    inStasis: false,
    stasisArgs: [],
    bridgeId: undefined,
    moh: undefined,
    ringing: false,
    direction: c.direction,
    variables: c.variables,
  };
}
