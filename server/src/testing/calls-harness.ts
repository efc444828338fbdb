import { io as connectSocket, type Socket } from 'socket.io-client';
import { Types } from 'mongoose';
import type { AgentStatus, ClientToServerEvents, ScreenPop, ServerToClientEvents, Ack } from '@ringside/shared';
import { nameKeys, normalizePhone } from '@ringside/shared';
import {
  newCallSid,
  postTwilioWebhook,
  startTwilioRestServer,
  type TwilioRestServer,
} from '@ringside/telephony/testing';
import { startTestServer, type TestServer } from './harness';
import { DEMO_PASSWORD, seedDemoUsers } from '../seed/seed';
import type { Models } from '../db/models';
import type { AppDeps } from '../app';
import type { Clock } from '../clock';
import type { Database } from '../db/connection';

export const TWILIO = {
  sid: `AC${'a'.repeat(32)}`,
  token: 'test-auth-token-1234',
  publicUrl: 'https://ringside.example.com',
};

export type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** An agent console: a real Socket.IO client that records what it receives. */
export interface TestAgent {
  id: string;
  email: string;
  socket: AgentSocket;
  pops: ScreenPop[];
  offers: string[];
  ended: string[];
  /** When false, the console receives pops but never acknowledges them. */
  acking: boolean;
  emit<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Ack<unknown>>;
  setState(status: Extract<AgentStatus, 'available' | 'away' | 'wrap_up' | 'offline'>): Promise<Ack<unknown>>;
  reconnect(): Promise<void>;
  close(): void;
}

export interface CallsHarness {
  server: TestServer;
  models: Models;
  twilio: TwilioRestServer;
  /** A console signed in as `email`, connected to this server or to another one (`url`). */
  agent(email: string, opts?: { acking?: boolean; url?: string }): Promise<TestAgent>;
  /** Signs a demo user in; their token. */
  token(email: string): Promise<string>;
  /** Posts a correctly signed Twilio voice webhook; returns the call id and the answer. */
  incoming(
    from: string,
    opts?: { callSid?: string; to?: string },
  ): Promise<{ callSid: string; status: number; body: string }>;
  status(callSid: string, callStatus: string, extra?: Record<string, string>): Promise<number>;
  webhook(
    path: string,
    params: Record<string, string>,
    signature?: string | null,
  ): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startCallsHarness(
  env: NodeJS.ProcessEnv = {},
  opts: { providers?: AppDeps['providers']; clock?: Clock; db?: Database } = {},
): Promise<CallsHarness> {
  const twilio = await startTwilioRestServer({ accountSid: TWILIO.sid, authToken: TWILIO.token });
  const server = await startTestServer({
    env: {
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_API_BASE: twilio.url,
      PUBLIC_URL: TWILIO.publicUrl,
      OFFER_ACK_TIMEOUT_MS: '800',
      OFFER_ACCEPT_TIMEOUT_MS: '4000',
      ...env,
    },
    ...(opts.providers ? { providers: opts.providers } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.db ? { db: opts.db } : {}),
  });
  await seedDemoUsers(server.db.models);
  const sockets: AgentSocket[] = [];

  async function login(email: string): Promise<{ token: string; id: string }> {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: DEMO_PASSWORD }),
    });
    const body = (await res.json()) as { token: string; user: { id: string } };
    return { token: body.token, id: body.user.id };
  }

  const webhook: CallsHarness['webhook'] = (path, params, signature) =>
    postTwilioWebhook({
      serverUrl: server.url,
      publicUrl: TWILIO.publicUrl,
      authToken: TWILIO.token,
      path,
      params,
      ...(signature !== undefined ? { signature } : {}),
    });

  return {
    server,
    models: server.db.models,
    twilio,
    token: async (email) => (await login(email)).token,
    async agent(email, opts = {}) {
      const { token, id } = await login(email);
      const socket: AgentSocket = connectSocket(opts.url ?? server.url, {
        auth: { token },
        transports: ['websocket'],
        forceNew: true,
      });
      sockets.push(socket);
      const agent: TestAgent = {
        id,
        email,
        socket,
        pops: [],
        offers: [],
        ended: [],
        acking: opts.acking ?? true,
        emit: (event, payload) =>
          new Promise((resolve) => {
            const send = socket.emit.bind(socket) as (e: string, p: unknown, ack: (r: Ack<unknown>) => void) => void;
            send(event, payload, resolve);
          }),
        setState: (status) => agent.emit('agent:state:set', { status }),
        async reconnect() {
          socket.disconnect();
          await new Promise<void>((resolve) => {
            socket.once('connect', () => resolve());
            socket.connect();
          });
        },
        close: () => socket.close(),
      };
      socket.on('screenpop', (pop, ack) => {
        agent.pops.push(pop);
        if (agent.acking) ack(true);
      });
      socket.on('call:offered', (offer) => agent.offers.push(offer.callId));
      socket.on('call:ended', (e) => agent.ended.push(e.callId));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return agent;
    },
    async incoming(from, opts = {}) {
      const callSid = opts.callSid ?? newCallSid();
      const res = await webhook('/telephony/twilio/voice', {
        CallSid: callSid,
        AccountSid: TWILIO.sid,
        From: from,
        To: opts.to ?? '+48221234567',
        CallStatus: 'ringing',
        Direction: 'inbound',
        ApiVersion: '2010-04-01',
      });
      return { callSid, ...res };
    },
    async status(callSid, callStatus, extra = {}) {
      const res = await webhook('/telephony/twilio/status', {
        CallSid: callSid,
        AccountSid: TWILIO.sid,
        CallStatus: callStatus,
        ApiVersion: '2010-04-01',
        ...extra,
      });
      return res.status;
    },
    webhook,
    async stop() {
      for (const s of sockets) s.close();
      await server.stop();
      if (server.db.drop) await server.db.drop();
      else await server.db.close();
      await twilio.close();
    },
  };
}

/** A customer written by hand for a test: phones as people write them, normalized like the app does. */
export async function addCustomer(
  models: Models,
  c: { name: string; phones: string[]; country?: string; ownerId?: string; labels?: string[]; limit?: number },
) {
  const country = c.country ?? 'PL';
  const phones = c.phones.map((raw) => {
    const n = normalizePhone(raw, country as 'PL');
    if (!n) throw new Error(`bad test phone ${raw}`);
    return { raw, e164: n.e164, type: 'mobile' as const };
  });
  return models.Customer.create({
    kind: 'person',
    name: c.name,
    nameKeys: nameKeys(c.name),
    phones,
    phoneKeys: [...new Set(phones.map((p) => p.e164))],
    labels: c.labels ?? [],
    ...(c.ownerId ? { ownerId: new Types.ObjectId(c.ownerId) } : {}),
    timeZone: 'Europe/Warsaw',
    country,
    creditTerms: { limit: c.limit ?? 5000, paymentTermsDays: 14, currency: 'PLN' },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
