// The dunning ladder's settings and their defaults, and the text-message gateway it sends reminders through.
import { DAY_MS, DEFAULT_LADDER, type LadderStep } from './ladder';
import { defaultRenderWorkers } from './render-pool';

export interface DunningOptions {
  ladder: LadderStep[];
  /** Sender of reminders: a number, or a Messaging Service. */
  sms: { from?: string | undefined; messagingServiceSid?: string | undefined };
  /** `{name} {amount} {dueDate} {reference}` are filled in. */
  smsTemplate: string;
  queue: string;
  /** How long a claimed step belongs to the process that claimed it before others reconcile it. */
  stepLeaseMs: number;
  /** Overdue invoices read per page of the scan (the page's due-date window adapts to it). */
  invoicesPerPage: number;
  /** Cases advanced per batch (read together, written with one bulk write). */
  batchSize: number;
  /** Batches under way at once. */
  batchesInFlight: number;
  /** Messages and callbacks in flight at once, across all batches (documents have their own bound: twice the render workers). */
  concurrency: number;
  /** At most this many call attempts… */
  maxCallAttempts: number;
  /** …within this window, per case. */
  callWindowMs: number;
  /** A promise is judged this long after its date (payments take a day to show). */
  promiseGraceMs: number;
  /** The letter asks for payment within this many days. */
  letterPayDays: number;
  /** After a collections call found nobody, the next one is asked for this much later. */
  callRetryMs: number;
  /** An agent who hears "I have paid" gives the payment this long to arrive. */
  paidClaimGraceMs: number;
  /** Worker threads rendering letters and legal summaries; 0 renders them on the scan's thread. */
  renderWorkers: number;
}

export const DEFAULT_DUNNING_OPTIONS: DunningOptions = {
  ladder: DEFAULT_LADDER,
  sms: { from: '+48221002000' },
  smsTemplate:
    'Dear {name}, {amount} is overdue since {dueDate}. Please pay quoting reference {reference}. If you have paid already, please ignore this message.',
  queue: 'collections',
  stepLeaseMs: 60_000,
  invoicesPerPage: 20_000,
  batchSize: 500,
  batchesInFlight: 3,
  concurrency: 16,
  maxCallAttempts: 7,
  callWindowMs: 7 * DAY_MS,
  promiseGraceMs: DAY_MS,
  letterPayDays: 7,
  callRetryMs: DAY_MS,
  paidClaimGraceMs: 3 * DAY_MS,
  renderWorkers: defaultRenderWorkers(),
};

/** The text-message side of the Twilio adapter (TwilioProvider satisfies it). */
export interface SmsGateway {
  sendSms(request: {
    to: string;
    body: string;
    from?: string;
    messagingServiceSid?: string;
  }): Promise<{ messageSid: string; status: string }>;
  /** Messages sent to a number since a moment: how a send whose answer was lost is reconciled. */
  listSms(query: { to: string; sentAfter: Date }): Promise<Array<{ messageSid: string; body: string; status: string }>>;
}
