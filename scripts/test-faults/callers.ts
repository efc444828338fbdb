// The callers, as Twilio carries them: a signed voice webhook through the load balancer when a
// call arrives, the talk once Ringside has told Twilio's REST API (the local stand-in) to <Dial>
// an agent, and the `completed` status callback when the caller hangs up. Like Twilio with a
// fallback URL and connection overrides, a webhook that gets no answer or a 5xx is sent again.
import { newCallSid, signTwilioRequest, type TwilioRestServer } from '@ringside/telephony/testing';
import type { CallRecord, Ledger } from './ledger';
import { sleep } from './processes';

export interface CallersOptions {
  /** nginx: where Twilio posts. */
  url: string;
  /** What Twilio signs against (PUBLIC_URL). */
  publicUrl: string;
  accountSid: string;
  authToken: string;
  twilio: TwilioRestServer;
  ledger: Ledger;
  /** Callers' numbers, as they present them. */
  numbers: string[];
  talkMs: number;
  /** The name of the server process behind `host:port` (nginx's X-Upstream). */
  nodeOf(upstream: string | null): string | undefined;
}

export interface WebhookAnswer {
  status: number;
  node: string | undefined;
}

export class Callers {
  /** Webhook answers by status (every attempt), for the figures. */
  readonly statuses = new Map<string, number>();
  private placed = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly opts: CallersOptions) {
    // Ringside connects a caller by updating the call with <Dial> TwiML: the talk begins.
    const callPath = new RegExp(`/Accounts/${opts.accountSid}/Calls/(CA[0-9a-f]{32})\\.json$`);
    opts.twilio.events.on('request', (r) => {
      const sid = callPath.exec(r.path)?.[1];
      const twiml = r.params.Twiml;
      if (!sid || r.method !== 'POST' || typeof twiml !== 'string' || !twiml.includes('<Dial')) return;
      const call = opts.ledger.get(sid);
      if (!call || call.dialedAt || call.hungUp) return;
      call.dialedAt = Date.now();
      this.track(sleep(opts.talkMs).then(() => this.hangUp(call, 'talked')));
    });
  }

  /** One new caller. */
  place(): void {
    const n = this.placed++;
    const from = this.opts.numbers[(n * 7919) % this.opts.numbers.length] ?? '+48500000000';
    const call = this.opts.ledger.add(newCallSid(), from);
    this.track(this.arrive(call));
  }

  /** Callers still waiting at the end hang up (they are counted, not hidden). */
  async hangUpWaiting(): Promise<number> {
    const waiting = this.opts.ledger.waiting();
    await Promise.all(waiting.map((c) => this.hangUp(c, 'drain')));
    return waiting.length;
  }

  /** Resolves when every webhook this run sent has been answered (or given up). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async arrive(call: CallRecord): Promise<void> {
    const params = {
      CallSid: call.sid,
      AccountSid: this.opts.accountSid,
      From: call.from,
      To: '+48221002000',
      CallStatus: 'ringing',
      Direction: 'inbound',
    };
    const answer = await this.send('/telephony/twilio/voice', params, 3);
    call.webhook = { ...answer.last, at: Date.now(), attempts: answer.attempts };
    if (answer.last.status === 200) return;
    // No TwiML: Twilio plays its fallback and the call ends; its status callback still comes.
    call.refused = true;
    await this.hangUp(call, 'refused');
  }

  async hangUp(call: CallRecord, why: 'talked' | 'refused' | 'drain'): Promise<void> {
    if (call.hungUp) return;
    call.hungUp = { at: Date.now(), why, status: 0 };
    const duration = call.dialedAt ? Math.max(1, Math.round((Date.now() - call.dialedAt) / 1000)) : 0;
    const answer = await this.send(
      '/telephony/twilio/status',
      {
        CallSid: call.sid,
        AccountSid: this.opts.accountSid,
        CallStatus: 'completed',
        CallDuration: String(duration),
      },
      // A status callback that is lost leaves the call on an agent: Twilio is asked to retry it.
      8,
    );
    call.hungUp.status = answer.last.status;
  }

  /** Posts a signed webhook; sends it again (up to `attempts` in all) after no answer or a 5xx. */
  private async send(
    path: string,
    params: Record<string, string>,
    attempts: number,
  ): Promise<{ last: WebhookAnswer; attempts: number }> {
    let last: WebhookAnswer = { status: 0, node: undefined };
    for (let i = 1; ; i++) {
      last = await this.post(path, params);
      const key = `${path.endsWith('voice') ? 'voice' : 'status'} ${last.status || 'no answer'}`;
      this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
      if ((last.status > 0 && last.status < 500) || i >= attempts) return { last, attempts: i };
      await sleep(Math.min(500 * 2 ** i, 5000));
    }
  }

  private async post(path: string, params: Record<string, string>): Promise<WebhookAnswer> {
    const signature = signTwilioRequest(this.opts.authToken, this.opts.publicUrl + path, params);
    try {
      const res = await fetch(this.opts.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
        // Twilio waits 15 s for an answer.
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      return { status: res.status, node: this.opts.nodeOf(res.headers.get('x-upstream')) };
    } catch {
      return { status: 0, node: undefined };
    }
  }
}
