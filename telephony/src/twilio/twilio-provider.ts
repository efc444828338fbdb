import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { z } from 'zod';
import type { CallEvent } from '@ringside/shared';
import {
  ProviderError,
  type AgentEndpoint,
  type CallEventHandler,
  type CallInstruction,
  type CallPresence,
  type OriginateRequest,
  type TelephonyProvider,
} from '../provider';
import { twiml } from './twiml';
import { CALL_SID, CALL_STATUSES, twilioCallPresence } from './call-presence';

const { validateRequest } = twilio;
type RequestOptions<T> = RequestClient.RequestOptions<T>;

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** REST base URL (`https://api.twilio.com`, or a local endpoint in tests). */
  apiBase: string;
  /** The external base URL Twilio signs webhooks against and calls back. */
  publicUrl: string;
  /** Music while the caller waits. */
  holdMusicUrl?: string;
}

/** An HTTP request as the web framework received it: the adapter needs no framework. */
export interface WebhookRequest {
  /** Path and query as received, e.g. `/telephony/twilio/voice`. */
  path: string;
  signature: string | undefined;
  params: Record<string, unknown>;
}

export interface WebhookResponse {
  status: number;
  contentType: 'text/xml' | 'application/json';
  body: string;
}

// Twilio posts these fields form-encoded; only what we use is required.
const voiceSchema = z.object({
  CallSid: z.string().regex(CALL_SID),
  From: z.string().default(''),
  To: z.string().default(''),
  CallStatus: z.string(),
  CallerName: z.string().optional(),
});
const waitSchema = z.object({
  CallSid: z.string().regex(CALL_SID),
  CallStatus: z.string().optional(),
});
const gatherSchema = z.object({
  CallSid: z.string().regex(CALL_SID),
  Digits: z
    .string()
    .regex(/^[0-9*#]{0,20}$/)
    .default(''),
});
const statusSchema = z.object({
  CallSid: z.string().regex(CALL_SID),
  CallStatus: z.enum(CALL_STATUSES),
  Timestamp: z.string().optional(),
  CallDuration: z.string().optional(),
});

const smsStatusSchema = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/i),
  MessageStatus: z.enum([
    'accepted',
    'scheduled',
    'queued',
    'sending',
    'sent',
    'delivered',
    'undelivered',
    'failed',
    'read',
    'canceled',
    'receiving',
    'received',
  ]),
  ErrorCode: z.string().optional(),
  To: z.string().optional(),
});

/** A delivery report of a text message we sent (Twilio's message status callback). */
export interface SmsStatus {
  messageSid: string;
  status: z.infer<typeof smsStatusSchema>['MessageStatus'];
  errorCode?: string;
  at: Date;
}

export interface SmsRequest {
  /** E.164. */
  to: string;
  body: string;
  /** Sender number, or … */
  from?: string;
  /** … a Messaging Service. One of the two is needed. */
  messagingServiceSid?: string;
}

/** Twilio's webhooks carry a few dozen fields; more than this is not one of them. */
const MAX_FIELDS = 1000;

/** Flat form fields as Twilio posts them: text values (a repeated field as a list of texts). */
function isFormFields(params: unknown): params is Record<string, string | string[]> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  let fields = 0;
  for (const value of Object.values(params)) {
    fields += Array.isArray(value) ? value.length : 1;
    if (fields > MAX_FIELDS) return false;
    if (typeof value === 'string') continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return false;
  }
  return true;
}

/**
 * The request target as a path and query. A request in absolute form (`POST http://host/path`,
 * as sent to a proxy) is reduced to its path: Twilio signs our public URL, whatever host the
 * request names.
 */
function originForm(target: string): string {
  if (target.startsWith('/') && !target.startsWith('//')) return target;
  try {
    const url = new URL(target, 'http://local');
    return url.pathname + url.search;
  } catch {
    return '/';
  }
}

const DEFAULT_HOLD_MUSIC = 'https://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3';

/** The twilio library's HTTP client, pointed at `apiBase` instead of api.twilio.com. */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(private readonly apiBase: string) {
    super();
  }
  override request<T>(opts: RequestOptions<T>) {
    const uri = opts.uri.replace(/^https:\/\/[^/]+\.twilio\.com/, this.apiBase);
    return super.request<T>({ ...opts, uri });
  }
}

export class TwilioProvider implements TelephonyProvider {
  readonly name = 'twilio' as const;
  private handler: CallEventHandler | undefined;
  private readonly client: twilio.Twilio;

  constructor(private readonly options: TwilioOptions) {
    this.client = twilio(options.accountSid, options.authToken, {
      httpClient: new BaseUrlRequestClient(options.apiBase.replace(/\/$/, '')),
    });
  }

  onEvent(handler: CallEventHandler): void {
    this.handler = handler;
  }

  /**
   * True when `X-Twilio-Signature` signs exactly this URL and these parameters. Parameters that
   * are not Twilio's flat form fields are never signed ones: they are refused before any hashing
   * (see `webhookRefusal`), and this answers false for them too rather than throwing.
   */
  verify(req: WebhookRequest): boolean {
    if (!req.signature || !isFormFields(req.params)) return false;
    try {
      return validateRequest(
        this.options.authToken,
        req.signature,
        this.options.publicUrl + originForm(req.path),
        req.params,
      );
    } catch {
      return false; // a URL the library cannot take apart is not one Twilio signed
    }
  }

  /**
   * The answer to a webhook that cannot be Twilio's whatever its signature: parameters that are
   * not flat form fields (nested, not strings, too many). Checked before the signature.
   */
  webhookRefusal(req: WebhookRequest): WebhookResponse | undefined {
    if (isFormFields(req.params)) return undefined;
    return json(400, {
      error: { code: 'bad_request', message: `not Twilio form parameters (flat text fields, at most ${MAX_FIELDS})` },
    });
  }

  /**
   * Twilio's webhooks, signed: `voice` (a call arrives), `wait` (a caller on hold asks what
   * next), `gather` (the caller pressed a key while waiting) and `status` (call progress).
   */
  async handleWebhook(
    kind: 'voice' | 'status' | 'wait' | 'gather',
    req: WebhookRequest,
    receivedAt: Date,
  ): Promise<WebhookResponse> {
    const refusal = this.webhookRefusal(req);
    if (refusal) return refusal;
    if (!this.verify(req)) return json(403, { error: { code: 'forbidden', message: 'invalid Twilio signature' } });
    if (kind === 'voice') {
      const parsed = voiceSchema.safeParse(req.params);
      if (!parsed.success) return json(400, { error: { code: 'bad_request', message: 'not a Twilio voice webhook' } });
      const p = parsed.data;
      const instruction = await this.emit({
        type: 'call.incoming',
        provider: 'twilio',
        callId: p.CallSid,
        from: p.From,
        to: p.To,
        at: receivedAt,
        ...(p.CallerName ? { callerName: p.CallerName } : {}),
      });
      return twimlResponse(this.render(instruction ?? { kind: 'hold' }));
    }
    if (kind === 'wait') {
      const parsed = waitSchema.safeParse(req.params);
      if (!parsed.success) return json(400, { error: { code: 'bad_request', message: 'not a Twilio call webhook' } });
      const instruction = await this.emit({
        type: 'call.waiting',
        provider: 'twilio',
        callId: parsed.data.CallSid,
        at: receivedAt,
      });
      return twimlResponse(this.render(instruction ?? { kind: 'hold' }));
    }
    if (kind === 'gather') {
      const parsed = gatherSchema.safeParse(req.params);
      if (!parsed.success) return json(400, { error: { code: 'bad_request', message: 'not a Twilio gather webhook' } });
      const digit = parsed.data.Digits.slice(0, 1);
      const instruction = digit
        ? await this.emit({ type: 'call.dtmf', provider: 'twilio', callId: parsed.data.CallSid, at: receivedAt, digit })
        : await this.emit({ type: 'call.waiting', provider: 'twilio', callId: parsed.data.CallSid, at: receivedAt });
      return twimlResponse(this.render(instruction ?? { kind: 'hold' }));
    }
    const parsed = statusSchema.safeParse(req.params);
    if (!parsed.success) return json(400, { error: { code: 'bad_request', message: 'not a Twilio status callback' } });
    // Calls we placed carry our reference in their status URL: their events can be matched
    // even if we never learned the call's SID (a crash right after placing it).
    const reference = new URL(originForm(req.path), 'http://local').searchParams.get('ref') ?? undefined;
    const event = statusEvent(parsed.data, receivedAt, reference);
    if (event) await this.emit(event);
    return { status: 204, contentType: 'text/xml', body: '' };
  }

  private async emit(event: CallEvent): Promise<CallInstruction | void> {
    if (!this.handler) throw new Error('TwilioProvider: no event handler registered');
    return this.handler(event);
  }

  private render(instruction: CallInstruction): string {
    if (instruction.kind === 'reject') return twiml.reject(instruction.reason);
    if (instruction.kind === 'goodbye') return twiml.goodbye();
    return twiml.wait({
      musicUrl: this.options.holdMusicUrl ?? DEFAULT_HOLD_MUSIC,
      waitUrl: `${this.options.publicUrl}/telephony/twilio/wait`,
      gatherUrl: `${this.options.publicUrl}/telephony/twilio/gather`,
      ...(instruction.announce ? { announce: instruction.announce } : {}),
      ...(instruction.wait ? { wait: instruction.wait } : {}),
      ...(instruction.offerCallback ? { offerCallback: true } : {}),
    });
  }

  async hold(callId: string): Promise<void> {
    await rest('hold the call', () => this.client.calls(callId).update({ twiml: this.render({ kind: 'hold' }) }));
  }

  async connect(callId: string, agent: AgentEndpoint): Promise<void> {
    await rest('connect the call', () => this.client.calls(callId).update({ twiml: twiml.dial(agent.address) }));
  }

  async hangup(callId: string): Promise<void> {
    await rest('hang up the call', () => this.client.calls(callId).update({ status: 'completed' }));
  }

  async originate(request: OriginateRequest): Promise<{ callId: string }> {
    const call = await rest('place the call', () =>
      this.client.calls.create({
        to: request.to,
        from: request.from,
        // A callback: when the customer answers, Twilio dials the agent at once.
        ...(request.connectTo
          ? { twiml: twiml.dial(request.connectTo.address) }
          : { url: `${this.options.publicUrl}/telephony/twilio/voice` }),
        ...(request.timeoutSec ? { timeout: request.timeoutSec } : {}),
        statusCallback: `${this.options.publicUrl}/telephony/twilio/status${request.reference ? `?ref=${encodeURIComponent(request.reference)}` : ''}`,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      }),
    );
    return { callId: call.sid };
  }

  /** Each call's Call resource, a few at a time (call-presence.ts): live while queued, ringing or in progress. */
  checkCalls(callIds: readonly string[]): Promise<Map<string, CallPresence>> {
    return twilioCallPresence(callIds, (callSid) =>
      rest('read the call status', () => this.client.calls(callSid).fetch()),
    );
  }

  /** Sends a text message (Messages API); delivery reports arrive at `/telephony/twilio/sms-status`. */
  async sendSms(request: SmsRequest): Promise<{ messageSid: string; status: string }> {
    if (!request.from && !request.messagingServiceSid) throw new Error('sendSms: give from or messagingServiceSid');
    const message = await rest('send the text message', () =>
      this.client.messages.create({
        to: request.to,
        body: request.body,
        ...(request.messagingServiceSid
          ? { messagingServiceSid: request.messagingServiceSid }
          : { from: request.from ?? '' }),
        statusCallback: `${this.options.publicUrl}/telephony/twilio/sms-status`,
      }),
    );
    return { messageSid: message.sid, status: message.status };
  }

  /**
   * Messages sent to `to` since `sentAfter` (Messages list API). How a sender that lost the
   * answer to a send (a crash, a timeout) finds out whether the message went out.
   */
  async listSms(query: {
    to: string;
    sentAfter: Date;
    limit?: number;
  }): Promise<Array<{ messageSid: string; body: string; status: string }>> {
    const found = await rest('list text messages', () =>
      this.client.messages.list({ to: query.to, dateSentAfter: query.sentAfter, limit: query.limit ?? 50 }),
    );
    return found.map((m) => ({ messageSid: m.sid, body: m.body, status: m.status }));
  }

  /** Checks and reads a message status callback: null with the answer to give when it is not one. */
  parseSmsStatus(req: WebhookRequest, receivedAt: Date): { status: SmsStatus } | { reject: WebhookResponse } {
    const refusal = this.webhookRefusal(req);
    if (refusal) return { reject: refusal };
    if (!this.verify(req))
      return { reject: json(403, { error: { code: 'forbidden', message: 'invalid Twilio signature' } }) };
    const parsed = smsStatusSchema.safeParse(req.params);
    if (!parsed.success)
      return { reject: json(400, { error: { code: 'bad_request', message: 'not a Twilio message status callback' } }) };
    const p = parsed.data;
    return {
      status: {
        messageSid: p.MessageSid,
        status: p.MessageStatus,
        ...(p.ErrorCode ? { errorCode: p.ErrorCode } : {}),
        at: receivedAt,
      },
    };
  }

  async close(): Promise<void> {}
}

/**
 * Runs one REST request; a failure becomes a ProviderError that keeps Twilio's HTTP status (a 4xx
 * is a refusal: the request will not succeed as it is) and says why without our internals.
 */
async function rest<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
    if (typeof status !== 'number')
      throw new ProviderError('twilio', action, 'Twilio could not be reached', undefined, { cause: err });
    const code = (err as { code?: unknown }).code;
    const said = err instanceof Error && err.message ? err.message : `HTTP ${status}`;
    const reason = `Twilio answered ${status}${typeof code === 'number' ? ` (error ${code})` : ''}: ${said}`;
    throw new ProviderError('twilio', action, reason.slice(0, 300), status, { cause: err });
  }
}

function twimlResponse(body: string): WebhookResponse {
  return { status: 200, contentType: 'text/xml', body };
}

function json(status: number, body: unknown): WebhookResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

function statusEvent(p: z.infer<typeof statusSchema>, at: Date, reference?: string): CallEvent | undefined {
  const base = { provider: 'twilio' as const, callId: p.CallSid, at, ...(reference ? { reference } : {}) };
  switch (p.CallStatus) {
    case 'ringing':
      return { type: 'call.ringing', provider: 'twilio', callId: p.CallSid, at };
    case 'in-progress':
      return { type: 'call.answered', ...base };
    case 'completed':
    case 'busy':
    case 'failed':
    case 'no-answer':
    case 'canceled':
      return { type: 'call.ended', ...base, reason: p.CallStatus };
    default:
      return undefined;
  }
}
