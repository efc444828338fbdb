// The local ARI server against the real ari-client: documents, REST, events WebSocket, the
// outside world's controls, errors and reconnection.
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from 'ari-client';
import WebSocket from 'ws';
import { startAriServer, validateModel, type AriEvent, type AriServer } from './ari-server';

const USER = 'ringside';
const PASS = 'ari-test-secret';
const APP = 'ringside';
const ASTERISK_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

interface ChannelJson {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
}
interface BridgeJson {
  id: string;
  bridge_type: string;
  channels: string[];
}
interface PlaybackJson {
  id: string;
  media_uri: string;
  target_uri: string;
  state: string;
}
const chan = (e: AriEvent) => e.channel as ChannelJson;
const isFor = (type: string, channelId: string) => (e: AriEvent) =>
  e.type === type &&
  ((e.channel as ChannelJson | undefined)?.id === channelId || (e.peer as ChannelJson | undefined)?.id === channelId);
const eventsFor = (log: AriEvent[], channelId: string) =>
  log.filter(
    (e) =>
      (e.channel as ChannelJson | undefined)?.id === channelId || (e.peer as ChannelJson | undefined)?.id === channelId,
  );

/** Every event an ari-client receives ('*' is emitted by ari-client for each message). */
function recordEvents(client: Client) {
  const log: AriEvent[] = [];
  const emitter = new EventEmitter();
  (client as unknown as EventEmitter).on('*', (event: AriEvent) => {
    log.push(event);
    emitter.emit('event', event);
  });
  const waitFor = (match: (e: AriEvent) => boolean, timeoutMs = 3000): Promise<AriEvent> => {
    const past = log.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const listener = (e: AriEvent) => {
        if (!match(e)) return;
        clearTimeout(timer);
        emitter.off('event', listener);
        resolve(e);
      };
      const timer = setTimeout(() => {
        emitter.off('event', listener);
        reject(new Error(`no matching ARI event within ${timeoutMs} ms; got ${log.map((e) => e.type).join(', ')}`));
      }, timeoutMs);
      emitter.on('event', listener);
    });
  };
  return { log, waitFor };
}

/** ari.connect in a worker thread: ari-client throws an uncaught exception on failure, which would end the test run. */
function connectInWorker(
  url: string,
  user: string,
  pass: string,
): Promise<{ connected: boolean; error?: string; uncaught: string[] }> {
  const ariClient = createRequire(import.meta.url).resolve('ari-client');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const ari = require(workerData.ariClient);
    const uncaught = [];
    process.on('uncaughtException', (e) => uncaught.push(String(e)));
    ari.connect(workerData.url, workerData.user, workerData.pass).then(
      () => parentPort.postMessage({ connected: true, uncaught }),
      (err) => setTimeout(() => parentPort.postMessage({ connected: false, error: String(err), uncaught }), 50),
    );`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { ariClient, url, user, pass },
    stdout: true,
    stderr: true,
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { connected: boolean; error?: string; uncaught: string[] }) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

let server: AriServer;
let client: Client;
let events: ReturnType<typeof recordEvents>;
const basic = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;

async function rest(method: string, path: string, headers: Record<string, string> = { authorization: basic }) {
  const res = await fetch(`${server.url}/ari${path}`, { method, headers });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  server = await startAriServer({ username: USER, password: PASS, app: APP });
  client = await connect(server.url, USER, PASS);
  events = recordEvents(client);
  await client.start(APP);
});

afterAll(async () => {
  client?.stop();
  await server?.close();
});

describe('API documents', () => {
  it('serves resources.json and each declaration unchanged except basePath, which names the host asked', async () => {
    const listing = await rest('GET', '/api-docs/resources.json');
    expect(listing.status).toBe(200);
    const served = listing.body as { basePath: string; apiVersion: string; apis: { path: string }[] };
    expect(served.basePath).toBe(`${server.url}/ari`);
    expect(served.apiVersion).toBe('10.0.0');
    expect(served.apis.map((a) => a.path)).toContain('/api-docs/channels.{format}');

    const channels = await fetch(`${server.url}/ari/api-docs/channels.json?api_key=${USER}:${PASS}`);
    const fromFile: Record<string, unknown> = JSON.parse(readFileSync(join(server.docs.dir, 'channels.json'), 'utf8'));
    expect(await channels.json()).toEqual({ ...fromFile, basePath: `${server.url}/ari` });
    // ari-client built its operations from them
    expect(typeof client.channels.originate).toBe('function');
    expect(typeof client.bridges.addChannel).toBe('function');
  });

  it('answers 401 without valid credentials, as Asterisk does', async () => {
    const none = await rest('GET', '/api-docs/resources.json', {});
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: 'Authentication required' });
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await rest('GET', `/channels?api_key=${USER}:nope`, {});
    expect(wrong.status).toBe(401);
  });

  it('makes ari.connect fail with wrong credentials (and connect with the right ones)', async () => {
    const bad = await connectInWorker(server.url, USER, 'wrong-password');
    expect(bad.connected).toBe(false);
    expect(bad.error).toMatch(/401/);
    const good = await connectInWorker(server.url, USER, PASS);
    expect(good).toEqual({ connected: true, uncaught: [] });
  });
});

describe('a call through ari-client', () => {
  let callerId = '';
  let agentId = '';
  let holdingId = '';
  let mixingId = '';

  it('delivers StasisStart for an incoming call with the caller number; answering makes it Up', async () => {
    callerId = server.simulateIncomingCall({
      callerNumber: '+15551230001',
      callerName: 'Ada Lovelace',
      exten: '+15550100',
    });
    const start = await events.waitFor(isFor('StasisStart', callerId));
    expect(start.application).toBe(APP);
    expect(start.timestamp).toMatch(ASTERISK_DATE);
    expect(start.asterisk_id).toEqual(expect.any(String));
    expect(start.args).toEqual([]);
    expect(chan(start).caller).toEqual({ name: 'Ada Lovelace', number: '+15551230001' });
    expect(chan(start).state).toBe('Ring');
    expect(chan(start).dialplan).toMatchObject({ exten: '+15550100', app_name: 'Stasis', app_data: APP });

    await client.channels.answer({ channelId: callerId });
    const up = await events.waitFor(isFor('ChannelStateChange', callerId));
    expect(chan(up).state).toBe('Up');
    expect(server.channels.get(callerId)?.state).toBe('Up');
    const got = await client.channels.get({ channelId: callerId });
    expect(got.state).toBe('Up');
    expect(got.caller.number).toBe('+15551230001');
  });

  it('parks the caller in a holding bridge with music on hold', async () => {
    await client.channels.ring({ channelId: callerId });
    expect(server.channels.get(callerId)?.ringing).toBe(true);
    await client.channels.startMoh({ channelId: callerId, mohClass: 'queue' });
    expect(server.channels.get(callerId)?.moh).toBe('queue');
    await client.channels.stopMoh({ channelId: callerId });
    expect(server.channels.get(callerId)?.moh).toBeUndefined();

    const holding = await client.bridges.create({ type: 'holding', name: 'queue:sales' });
    holdingId = holding.id;
    expect(holding).toMatchObject({
      bridge_type: 'holding',
      technology: 'holding_bridge',
      name: 'queue:sales',
      channels: [],
    });
    await holding.addChannel({ channel: callerId });
    const entered = await events.waitFor(isFor('ChannelEnteredBridge', callerId));
    expect((entered.bridge as BridgeJson).id).toBe(holdingId);
    expect((entered.bridge as BridgeJson).channels).toEqual([callerId]);
    await holding.startMoh({ mohClass: 'default' });
    expect(server.bridges.get(holdingId)?.moh).toBe('default');
    expect(server.channels.get(callerId)?.bridgeId).toBe(holdingId);
  });

  it('originates to an agent into the app, then bridges caller and agent in a mixing bridge', async () => {
    const agent = await client.channels.originate({
      endpoint: 'Local/1001@agents',
      app: APP,
      appArgs: 'agent,1001',
      callerId: '"Ada Lovelace" <+15551230001>',
      timeout: 20,
    });
    agentId = agent.id;
    expect(agent.state).toBe('Down');
    expect(agent.name).toMatch(/^Local\/1001@agents-[0-9a-f]{8};1$/);
    const start = await events.waitFor(isFor('StasisStart', agentId));
    expect(start.args).toEqual(['agent', '1001']);
    expect(chan(start).state).toBe('Up');
    expect(chan(start).caller).toEqual({ name: 'Ada Lovelace', number: '+15551230001' });
    const story = eventsFor(events.log, agentId).map((e) =>
      e.type === 'Dial'
        ? `Dial:${String(e.dialstatus)}`
        : e.type === 'ChannelStateChange'
          ? `State:${chan(e).state}`
          : e.type,
    );
    expect(story).toEqual(['Dial:', 'State:Ringing', 'Dial:RINGING', 'State:Up', 'Dial:ANSWER', 'StasisStart']);

    const mixing = await client.bridges.create({ type: 'mixing' });
    mixingId = mixing.id;
    await client.bridges.stopMoh({ bridgeId: holdingId });
    await mixing.addChannel({ channel: [callerId, agentId] });
    const left = await events.waitFor(isFor('ChannelLeftBridge', callerId));
    expect((left.bridge as BridgeJson).id).toBe(holdingId);
    await events.waitFor((e) => isFor('ChannelEnteredBridge', agentId)(e) && (e.bridge as BridgeJson).id === mixingId);
    const bridged = await client.bridges.get({ bridgeId: mixingId });
    expect(bridged.bridge_type).toBe('mixing');
    expect(bridged.channels).toEqual([callerId, agentId]);
    expect(server.bridges.get(holdingId)?.channels).toEqual([]);
  });

  it('logs every REST call with its parameters', async () => {
    const originate = await server.waitForCommand((c) => c.operation === 'channels.originate');
    expect(originate).toMatchObject({
      method: 'POST',
      path: '/channels',
      status: 200,
      params: {
        endpoint: 'Local/1001@agents',
        app: APP,
        appArgs: 'agent,1001',
        callerId: '"Ada Lovelace" <+15551230001>',
        timeout: '20',
      },
    });
    expect(originate.at).toBeInstanceOf(Date);
    const add = server.commands.filter((c) => c.operation === 'bridges.addChannel');
    expect(add.map((c) => [c.path, c.params.channel])).toEqual([
      [`/bridges/${holdingId}/addChannel`, callerId],
      [`/bridges/${mixingId}/addChannel`, `${callerId},${agentId}`],
    ]);
    const ops = server.commands.map((c) => c.operation);
    const order = [
      'channels.answer',
      'bridges.create',
      'bridges.addChannel',
      'bridges.startMoh',
      'channels.originate',
      'bridges.stopMoh',
    ];
    const positions = order.map((op) => ops.indexOf(op));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(server.commands.find((c) => c.operation === 'channels.startMoh')?.params).toEqual({ mohClass: 'queue' });
  });

  it('delivers DTMF and playback events', async () => {
    server.sendDtmf(callerId, '7');
    const dtmf = await events.waitFor(isFor('ChannelDtmfReceived', callerId));
    expect(dtmf).toMatchObject({ digit: '7', duration_ms: 100, application: APP });

    const pb = await client.channels.play({ channelId: agentId, media: ['sound:hello-world', 'digits:42'] });
    expect(pb.state).toBe('queued');
    const started = await events.waitFor(
      (e) => e.type === 'PlaybackStarted' && (e.playback as PlaybackJson).id === pb.id,
    );
    expect(started.playback).toMatchObject({
      media_uri: 'sound:hello-world',
      target_uri: `channel:${agentId}`,
      state: 'playing',
    });
    const finished = await events.waitFor(
      (e) => e.type === 'PlaybackFinished' && (e.playback as PlaybackJson).id === pb.id,
    );
    expect(finished.playback).toMatchObject({ media_uri: 'digits:42', state: 'done' });
    expect(events.log.some((e) => e.type === 'PlaybackContinuing' && (e.playback as PlaybackJson).id === pb.id)).toBe(
      true,
    );

    const withId = await client.channels.playWithId({
      channelId: agentId,
      playbackId: 'greeting-1',
      media: 'number:12',
    });
    expect(withId.id).toBe('greeting-1');
    const bad = await client.channels.play({ channelId: agentId, media: 'video:nope' });
    const failed = await events.waitFor(
      (e) => e.type === 'PlaybackFinished' && (e.playback as PlaybackJson).id === bad.id,
    );
    expect((failed.playback as PlaybackJson).state).toBe('failed');
  });

  it('on caller hang-up sends ChannelHangupRequest, ChannelLeftBridge, StasisEnd, ChannelDestroyed', async () => {
    server.hangup(callerId);
    const destroyed = await events.waitFor(isFor('ChannelDestroyed', callerId));
    expect(destroyed).toMatchObject({ cause: 16, cause_txt: 'Normal Clearing' });
    const tail = eventsFor(events.log, callerId)
      .map((e) => e.type)
      .slice(-4);
    expect(tail).toEqual(['ChannelHangupRequest', 'ChannelLeftBridge', 'StasisEnd', 'ChannelDestroyed']);
    expect(server.channels.has(callerId)).toBe(false);
    expect(server.bridges.get(mixingId)?.channels).toEqual([agentId]);

    await client.channels.hangup({ channelId: agentId, reason: 'normal' });
    const request = await events.waitFor(isFor('ChannelHangupRequest', agentId));
    expect(request.soft).toBe(true);
    await events.waitFor(isFor('ChannelDestroyed', agentId));
    expect(server.commands.at(-1)).toMatchObject({
      operation: 'channels.hangup',
      method: 'DELETE',
      params: { reason: 'normal' },
      status: 204,
    });

    await client.bridges.destroy({ bridgeId: mixingId });
    const gone = await events.waitFor((e) => e.type === 'BridgeDestroyed' && (e.bridge as BridgeJson).id === mixingId);
    expect((gone.bridge as BridgeJson).channels).toEqual([]);
    await client.bridges.destroy({ bridgeId: holdingId });
    expect(server.bridges.size).toBe(0);
  });
});

describe('originated endpoints', () => {
  it('a busy endpoint ends with Dial BUSY and ChannelDestroyed cause 17, never StasisStart', async () => {
    server.setEndpointBehaviour('PJSIP/1002', 'busy');
    const ch = await client.channels.originate({ endpoint: 'PJSIP/1002', app: APP });
    const destroyed = await events.waitFor(isFor('ChannelDestroyed', ch.id));
    expect(destroyed).toMatchObject({ cause: 17, cause_txt: 'User busy' });
    expect(
      eventsFor(events.log, ch.id).map((e) => (e.type === 'Dial' ? `Dial:${String(e.dialstatus)}` : e.type)),
    ).toEqual(['Dial:', 'Dial:BUSY', 'ChannelDestroyed']);
  });

  it('an endpoint that rings out ends with ChannelDestroyed cause 19 after the originate timeout', async () => {
    server.setEndpointBehaviour('PJSIP/1003', 'noanswer');
    const ch = await client.channels.originate({ endpoint: 'PJSIP/1003', app: APP, timeout: 5 });
    const destroyed = await events.waitFor(isFor('ChannelDestroyed', ch.id));
    expect(destroyed).toMatchObject({ cause: 19, cause_txt: 'User alerting, no answer' });
    expect(events.log.some((e) => isFor('Dial', ch.id)(e) && e.dialstatus === 'NOANSWER')).toBe(true);
    expect(events.log.some(isFor('StasisStart', ch.id))).toBe(false);
  });

  it('a ringing endpoint is not in Stasis until answered', async () => {
    server.setEndpointBehaviour('PJSIP/1004', 'ring');
    const ch = await client.channels.originate({ endpoint: 'PJSIP/1004', app: APP, timeout: 60 });
    await events.waitFor((e) => isFor('ChannelStateChange', ch.id)(e) && chan(e).state === 'Ringing');
    const early = await rest('POST', `/channels/${ch.id}/answer`);
    expect(early).toMatchObject({ status: 409, body: { message: 'Channel not in Stasis application' } });
    server.answer(ch.id);
    const start = await events.waitFor(isFor('StasisStart', ch.id));
    expect(chan(start).state).toBe('Up');
    await client.channels.hangup({ channelId: ch.id });
    await events.waitFor(isFor('ChannelDestroyed', ch.id));
  });
});

describe('ids chosen by the client, and removing channels', () => {
  it('originates with a client-chosen channel id and creates bridges with chosen ids', async () => {
    const generated = client.Channel();
    const viaQuery = await generated.originate({ endpoint: 'PJSIP/1001', app: APP, callerId: '1795462053.1' });
    expect(viaQuery.id).toBe(generated.id);
    expect(viaQuery.caller).toEqual({ name: '', number: '17954620531' });
    expect(server.commands.at(-1)).toMatchObject({ path: '/channels', params: { channelId: generated.id } });
    const withId = await client.channels.originateWithId({
      channelId: 'agent-call-1',
      endpoint: 'PJSIP/1005',
      app: APP,
      appArgs: 'agent,call-1',
    });
    expect(withId.id).toBe('agent-call-1');
    expect(server.commands.at(-1)).toMatchObject({
      method: 'POST',
      path: '/channels/agent-call-1',
      operation: 'channels.originateWithId',
    });
    await events.waitFor(isFor('StasisStart', generated.id));
    const start = await events.waitFor(isFor('StasisStart', 'agent-call-1'));
    expect(start.args).toEqual(['agent', 'call-1']);
    expect(await rest('POST', `/channels?endpoint=PJSIP/1006&app=${APP}&channelId=agent-call-1`)).toMatchObject({
      status: 409,
      body: { message: 'Channel with given unique ID already exists' },
    });

    const queue = await client.bridges.createWithId({ bridgeId: 'queue-sales', type: 'holding' });
    expect(queue).toMatchObject({ id: 'queue-sales', bridge_type: 'holding' });
    const sameAgain = await client.bridges.createWithId({ bridgeId: 'queue-sales' });
    expect(sameAgain.id).toBe('queue-sales');
    const chosen = client.Bridge();
    const mixing = await chosen.create({ type: 'mixing,dtmf_events' });
    expect(mixing).toMatchObject({ id: chosen.id, bridge_type: 'mixing' });
    expect(await rest('POST', `/bridges?bridgeId=${chosen.id}`)).toMatchObject({ status: 409 });
    expect(await rest('POST', '/bridges?type=mixing,holding')).toMatchObject({
      status: 500,
      body: { message: 'Unable to create bridge' },
    });

    await mixing.addChannel({ channel: [generated.id, 'agent-call-1'] });
    await expect(queue.removeChannel({ channel: generated.id })).rejects.toThrow('Channel not in this bridge');
    await mixing.removeChannel({ channel: generated.id });
    const left = await events.waitFor(isFor('ChannelLeftBridge', generated.id));
    expect((left.bridge as BridgeJson).channels).toEqual(['agent-call-1']);
    expect(server.channels.get(generated.id)?.bridgeId).toBeUndefined();

    await client.channels.hangup({ channelId: generated.id });
    await client.channels.hangup({ channelId: 'agent-call-1', reason: 'answered_elsewhere' });
    expect(await events.waitFor(isFor('ChannelDestroyed', 'agent-call-1'))).toMatchObject({ cause: 26 });
    await mixing.destroy();
    await queue.destroy();
  });
});

describe('bad requests', () => {
  it('rejects what the documents and Asterisk reject, with {"message"} bodies', async () => {
    await expect(client.bridges.create({ type: 'conference' })).rejects.toThrow(
      /Invalid bridge type attribute 'conference'/,
    );
    expect(await rest('POST', '/bridges?type=conference')).toMatchObject({ status: 400 });
    await expect(client.channels.originate({ app: APP } as unknown as { endpoint: string })).rejects.toThrow(
      '{"message":"Endpoint must be specified"}',
    );
    expect(await rest('POST', `/channels?app=${APP}`)).toMatchObject({
      status: 400,
      body: { message: 'Endpoint must be specified' },
    });
    expect(await rest('POST', '/channels?endpoint=PJSIP/1001')).toMatchObject({
      status: 400,
      body: { message: 'Application or extension must be specified' },
    });
    expect(await rest('POST', '/channels?endpoint=PJSIP/1001&app=ringside&timeout=soon')).toMatchObject({
      status: 400,
    });

    const id = server.simulateIncomingCall({ callerNumber: '+15551230009' });
    expect(await rest('DELETE', `/channels/${id}?reason=bogus`)).toMatchObject({
      status: 400,
      body: { message: 'Invalid reason for hangup provided' },
    });
    expect(await rest('POST', `/channels/${id}/play`)).toMatchObject({
      status: 400,
      body: { message: 'Missing parameter media' },
    });
    expect(await rest('POST', `/bridges/nope/addChannel?channel=${id}`)).toMatchObject({
      status: 404,
      body: { message: 'Bridge not found' },
    });
    expect(await rest('DELETE', `/channels/${id}?reason=busy`)).toMatchObject({ status: 204 });
    await expect(events.waitFor(isFor('ChannelDestroyed', id))).resolves.toMatchObject({ cause: 17 });

    await expect(client.channels.answer({ channelId: 'no-such-channel' })).rejects.toThrow(
      '{"message":"Channel not found"}',
    );
    expect(await rest('POST', '/channels/no-such-channel/answer')).toMatchObject({
      status: 404,
      body: { message: 'Channel not found' },
    });
    expect(await rest('GET', '/no/such/resource')).toMatchObject({
      status: 404,
      body: { message: 'Resource not found' },
    });
    expect(await rest('PUT', '/channels')).toMatchObject({ status: 405, body: { message: 'Invalid method' } });
    expect(await rest('POST', `/channels/x/snoop?app=${APP}`)).toMatchObject({
      status: 501,
      body: { message: 'not implemented by the test server' },
    });
    expect(server.commands.filter((c) => c.status === 400).length).toBeGreaterThanOrEqual(7);
  });
});

describe('events WebSocket', () => {
  it('reconnects by itself after dropConnections(); events while disconnected are lost, later ones arrive', async () => {
    const id = server.simulateIncomingCall({ callerNumber: '+15551230002' });
    await events.waitFor(isFor('StasisStart', id));
    const emitter = client as unknown as EventEmitter;
    const reconnecting = once(emitter, 'WebSocketReconnecting');
    const reconnected = once(emitter, 'WebSocketConnected');

    expect(server.dropConnections()).toBe(1);
    expect(server.connected(APP)).toBe(false);
    server.sendDtmf(id, '1');
    expect(server.sentEvents.at(-1)).toMatchObject({
      delivered: false,
      event: { type: 'ChannelDtmfReceived', digit: '1' },
    });
    expect(() => server.simulateIncomingCall({ callerNumber: '+15551230003' })).toThrow(/not registered/);

    await reconnecting;
    await reconnected;
    await server.waitForApp(APP);
    server.sendDtmf(id, '9');
    await events.waitFor((e) => isFor('ChannelDtmfReceived', id)(e) && e.digit === '9');
    expect(events.log.some((e) => isFor('ChannelDtmfReceived', id)(e) && e.digit === '1')).toBe(false);
    const next = server.simulateIncomingCall({ callerNumber: '+15551230004' });
    expect(chan(await events.waitFor(isFor('StasisStart', next))).caller.number).toBe('+15551230004');
    expect((await client.channels.get({ channelId: id })).state).toBe('Ring');
    server.hangup(id);
    server.hangup(next);
  });

  it('sends events only to the app the channel is in; subscribeAll sees all; bad sockets are refused', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/ari/events`;
    const open = async (query: string) => {
      const ws = new WebSocket(`${wsUrl}?${query}&api_key=${USER}:${PASS}`);
      const received: AriEvent[] = [];
      ws.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')) as AriEvent));
      await once(ws, 'open');
      return { ws, received };
    };
    const other = await open('app=other');
    const watcher = await open('app=watcher&subscribeAll=true');

    const mine = server.simulateIncomingCall({ callerNumber: '+15551230005' });
    await events.waitFor(isFor('StasisStart', mine));
    const theirs = server.simulateIncomingCall({ callerNumber: '+15551230006', app: 'other', args: ['vip'] });
    await server.waitForEvent((e) => e.type === 'StasisStart' && e.application === 'other');
    await new Promise((r) => setTimeout(r, 50));

    expect(other.received.map((e) => [e.type, e.application, chan(e).id, e.args])).toEqual([
      ['StasisStart', 'other', theirs, ['vip']],
    ]);
    expect(events.log.some((e) => isFor('StasisStart', theirs)(e))).toBe(false);
    expect(watcher.received.map((e) => [e.type, e.application, chan(e).id])).toEqual([
      ['StasisStart', 'watcher', mine],
      ['StasisStart', 'watcher', theirs],
    ]);

    const refused = async (query: string) => {
      const ws = new WebSocket(`${wsUrl}?${query}`);
      ws.on('error', () => undefined); // terminate() before 'open' reports an error
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
      ws.terminate();
      return res.statusCode;
    };
    expect(await refused(`app=${APP}&api_key=${USER}:wrong`)).toBe(401);
    expect(await refused(`api_key=${USER}:${PASS}`)).toBe(400);
    other.ws.close();
    watcher.ws.close();
    server.hangup(mine);
    server.hangup(theirs);
  });
});

describe('documents as contract', () => {
  it('answers asterisk/info and applications', async () => {
    const info = await client.asterisk.getInfo();
    expect(info.system).toMatchObject({ version: '22.10.1', entity_id: events.log[0]?.asterisk_id });
    expect(Object.keys(await client.asterisk.getInfo({ only: 'status' }))).toEqual(['status']);
    const id = server.simulateIncomingCall({ callerNumber: '+15551230007' });
    const apps = await client.applications.list();
    const mine = apps.find((a) => a.name === APP);
    expect(mine?.channel_ids).toEqual([id]);
    server.hangup(id);
  });

  it('every event received and every answer sent matches the documented models', () => {
    expect(events.log.length).toBeGreaterThan(40);
    const problems = events.log.flatMap((e) => validateModel(server.docs.models, 'Message', e));
    expect(problems).toEqual([]);
    expect(server.validationErrors).toEqual([]);
    expect(server.channels.size).toBe(0);
    // the validator itself catches missing and undocumented fields
    expect(
      validateModel(server.docs.models, 'Message', {
        type: 'StasisEnd',
        application: APP,
        timestamp: '2026-11-23T19:00:00.000+0000',
      }),
    ).toEqual(['Message.channel: missing required field']);
    expect(validateModel(server.docs.models, 'Message', { type: 'NoSuchEvent' })).toHaveLength(1);
    expect(
      validateModel(server.docs.models, 'Bridge', { id: 'x', surprise: 1 }).some((p) =>
        p.includes('surprise: undocumented field'),
      ),
    ).toBe(true);
  });
});
