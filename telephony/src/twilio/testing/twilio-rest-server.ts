// A local stand-in for Twilio's REST API (the provider boundary), for tests and the call
// simulator: it answers the Calls and Messages resources the way api.twilio.com does and
// records every request, so tests can check what Ringside asked Twilio to do. It keeps each
// call's status as Twilio would (placed → queued, hung up over REST → completed) for
// `GET Calls/{sid}.json`; tests set a status to play what happened outside (the caller hung up).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import twilio from 'twilio';

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string | string[]>;
  at: Date;
  /** What the endpoint answered (e.g. the new call's `sid`). */
  response?: { status: number; body: Record<string, unknown> };
}

/** A call's status as Twilio's Call resource gives it. */
export type TwilioCallStatus =
  'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

const ENDED_STATUSES: ReadonlySet<TwilioCallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export interface TwilioRestServer {
  url: string;
  requests: RecordedRequest[];
  events: EventEmitter<{ request: [RecordedRequest] }>;
  /**
   * An outage from now on: every request answered with this HTTP status (Twilio's error body), or its
   * connection dropped (`'unreachable'`); `null` ends it.
   */
  outage(mode: { status: number } | 'unreachable' | null): void;
  /** Twilio's latency from now on: every answer comes `ms` after the request was read (0 ends it). */
  latency(ms: number): void;
  /**
   * What Twilio knows of a call from now on, as `GET Calls/{sid}.json` answers it: a status (an
   * ended one with its `end_time`, now unless given), or `'not-found'` (a 404, as for a call whose
   * records were deleted). A call the stand-in never heard of is `in-progress`: inbound calls reach
   * Ringside as webhooks the tests post, never through here.
   */
  setCallStatus(callSid: string, status: TwilioCallStatus | 'not-found', endedAt?: Date): void;
  /** Resolves with the first (past or future) request that matches. */
  waitFor(match: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

function readForm(req: IncomingMessage): Promise<Record<string, string | string[]>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(body)) {
        const prev = out[k];
        out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      resolve(out);
    });
    req.on('error', reject);
  });
}

export async function startTwilioRestServer(opts: {
  accountSid: string;
  authToken: string;
}): Promise<TwilioRestServer> {
  const requests: RecordedRequest[] = [];
  const messages: Array<Record<string, unknown> & { to: string | string[]; sentAt: Date }> = [];
  const calls = new Map<string, { status: TwilioCallStatus; endedAt?: Date } | 'not-found'>();
  const setCallStatus = (callSid: string, status: TwilioCallStatus | 'not-found', endedAt?: Date) => {
    if (status === 'not-found') calls.set(callSid, status);
    else calls.set(callSid, ENDED_STATUSES.has(status) ? { status, endedAt: endedAt ?? new Date() } : { status });
  };
  const events = new EventEmitter<{ request: [RecordedRequest] }>();
  let down: { status: number } | 'unreachable' | null = null;
  let latencyMs = 0;
  const expectedAuth = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const current: { request?: RecordedRequest } = {};
      const reply = (status: number, body: Record<string, unknown>) => {
        if (current.request) current.request.response = { status, body };
        const send = () => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (latencyMs > 0) setTimeout(send, latencyMs);
        else send();
      };
      if (down === 'unreachable') return req.socket.destroy();
      if (down) return reply(down.status, { code: 20500, message: 'Service unavailable', status: down.status });
      if (req.headers.authorization !== expectedAuth)
        return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
      const params = req.method === 'POST' ? await readForm(req) : Object.fromEntries(url.searchParams);
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, params, at: new Date() };
      current.request = recorded;
      requests.push(recorded);
      events.emit('request', recorded);

      const base = `/2010-04-01/Accounts/${opts.accountSid}`;
      const callMatch = new RegExp(`^${base}/Calls/(CA[0-9a-f]{32})\\.json$`).exec(url.pathname);
      const now = new Date().toUTCString();
      if (callMatch?.[1] && req.method === 'GET') {
        const known = calls.get(callMatch[1]) ?? { status: 'in-progress' as const };
        if (known === 'not-found')
          return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
        return reply(200, {
          sid: callMatch[1],
          account_sid: opts.accountSid,
          status: known.status,
          end_time: known.endedAt ? known.endedAt.toUTCString().replace('GMT', '+0000') : null,
          date_updated: now,
          api_version: '2010-04-01',
          uri: url.pathname,
        });
      }
      if (callMatch?.[1] && req.method === 'POST') {
        // Hung up over REST: Twilio reports the call completed from then on.
        if (params.Status === 'completed' || params.Status === 'canceled') setCallStatus(callMatch[1], params.Status);
        return reply(200, {
          sid: callMatch[1],
          account_sid: opts.accountSid,
          status: params.Status ?? 'in-progress',
          date_updated: now,
        });
      }
      if (url.pathname === `${base}/Calls.json` && req.method === 'POST') {
        if (!params.To || !params.From)
          return reply(400, { code: 21201, message: "Missing required parameter 'To' or 'From'", status: 400 });
        const callSid = sid('CA');
        calls.set(callSid, { status: 'queued' });
        return reply(201, {
          sid: callSid,
          account_sid: opts.accountSid,
          to: params.To,
          from: params.From,
          status: 'queued',
          date_created: now,
        });
      }
      if (url.pathname === `${base}/Messages.json` && req.method === 'POST') {
        if (!params.To || !params.Body)
          return reply(400, { code: 21604, message: "A 'To' phone number and a 'Body' are required.", status: 400 });
        const message = {
          sid: sid('SM'),
          account_sid: opts.accountSid,
          to: params.To,
          from: params.From ?? null,
          messaging_service_sid: params.MessagingServiceSid ?? null,
          body: params.Body,
          status: 'queued',
          date_created: now,
          date_sent: now,
        };
        messages.push({ ...message, sentAt: recorded.at });
        return reply(201, message);
      }
      // The Messages list, filtered by To and DateSent> as Twilio does (newest first).
      if (url.pathname === `${base}/Messages.json` && req.method === 'GET') {
        const after = typeof params['DateSent>'] === 'string' ? new Date(params['DateSent>']) : undefined;
        const found = messages
          .filter((m) => (!params.To || m.to === params.To) && (!after || m.sentAt >= after))
          .reverse()
          .map(({ sentAt: _sentAt, ...m }) => m);
        return reply(200, {
          messages: found,
          page: 0,
          page_size: found.length,
          first_page_uri: url.pathname,
          next_page_uri: null,
          previous_page_uri: null,
          uri: url.pathname,
        });
      }
      reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    outage(mode) {
      down = mode;
    },
    latency(ms) {
      latencyMs = ms;
    },
    setCallStatus,
    waitFor(match, timeoutMs = 5000) {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('request', listener);
          reject(new Error('no matching Twilio REST request'));
        }, timeoutMs);
        const listener = (r: RecordedRequest) => {
          if (!match(r)) return;
          clearTimeout(timer);
          events.off('request', listener);
          resolve(r);
        };
        events.on('request', listener);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Signs webhook parameters the way Twilio does (`X-Twilio-Signature`). */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** A random Twilio-shaped call SID. */
export const newCallSid = () => sid('CA');

/** Posts a webhook to a Ringside server as Twilio does: form-encoded, signed against `publicUrl`. */
export async function postTwilioWebhook(opts: {
  serverUrl: string;
  publicUrl: string;
  authToken: string;
  path: string;
  params: Record<string, string>;
  /** `null` sends no signature; a string sends that one instead of the right one. */
  signature?: string | null;
}): Promise<{ status: number; body: string }> {
  const signature =
    opts.signature === undefined
      ? signTwilioRequest(opts.authToken, opts.publicUrl + opts.path, opts.params)
      : opts.signature;
  const res = await fetch(opts.serverUrl + opts.path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature ? { 'x-twilio-signature': signature } : {}),
    },
    body: new URLSearchParams(opts.params).toString(),
  });
  return { status: res.status, body: await res.text() };
}
