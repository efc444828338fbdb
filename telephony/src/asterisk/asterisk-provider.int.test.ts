// AsteriskProvider.checkCalls against the local ARI server: one GET /channels, a call live while
// its caller's channel is listed; errors as ProviderError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '@ringside/shared';
import { ProviderError } from '../provider';
import { AsteriskProvider } from './asterisk-provider';
import { startAriServer, type AriServer } from './testing/ari-server';

const ARI = { username: 'ringside', password: 'ari-check-calls', app: 'ringside' };
const clock = { now: () => new Date() };
let ari: AriServer;
let asterisk: AsteriskProvider;
const events: CallEvent[] = [];

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not within 3 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  ari = await startAriServer({ username: ARI.username, password: ARI.password, app: ARI.app });
  asterisk = new AsteriskProvider({ url: ari.url, ...ARI, clock });
  asterisk.onEvent(async (event) => {
    events.push(event);
    return { kind: 'hold' };
  });
  await asterisk.start();
});

afterAll(async () => {
  await asterisk.close();
  await ari.close();
});

describe('AsteriskProvider.checkCalls', () => {
  it("lists the channels once: a call is live while its caller's channel is there", async () => {
    const waiting = ari.simulateIncomingCall({ callerNumber: '+48601000222' });
    const gone = ari.simulateIncomingCall({ callerNumber: '+48601000333' });
    await until(() => ari.commands.filter((c) => c.operation === 'bridges.startMoh').length === 2, 'both on hold');
    // The adapter stops listening (the server is down) and the hang-up's events are lost …
    await asterisk.close();
    await until(() => !ari.connected(ARI.app), 'events WebSocket closed');
    ari.hangup(gone);
    expect(ari.sentEvents.filter((s) => s.event.type === 'ChannelDestroyed').map((s) => s.delivered)).toEqual([false]);
    const before = ari.commands.length;
    const answers = await asterisk.checkCalls([waiting, gone, 'never-a-channel']);
    expect(Object.fromEntries(answers)).toEqual({
      [waiting]: { live: true },
      [gone]: { live: false, reason: 'channel-gone' },
      'never-a-channel': { live: false, reason: 'channel-gone' },
    });
    expect(ari.commands.slice(before).map((c) => `${c.method} ${c.path}`)).toEqual(['GET /channels']);
    // … and the call it answered for is forgotten: not reported ended again when the adapter is back.
    await asterisk.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.type === 'call.ended')).toEqual([]);
    ari.hangup(waiting);
    await until(() => events.some((e) => e.type === 'call.ended' && e.callId === waiting), 'hang-up heard');
  });

  it('answers for no call when ARI refuses or cannot be reached', async () => {
    const wrongPassword = new AsteriskProvider({ url: ari.url, ...ARI, password: 'not-it', clock });
    await expect(wrongPassword.checkCalls(['1763900000.1'])).rejects.toMatchObject({
      name: 'ProviderError',
      provider: 'asterisk',
      status: 401,
    });
    const away = await startAriServer({ username: ARI.username, password: ARI.password, app: 'away' });
    const stranded = new AsteriskProvider({ url: away.url, ...ARI, app: 'away', clock });
    stranded.onEvent(async () => undefined);
    await stranded.start();
    await away.close();
    try {
      const failure = await stranded.checkCalls(['1763900000.1']).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ provider: 'asterisk', reason: 'ARI could not be reached' });
    } finally {
      await stranded.close();
    }
  });
});
