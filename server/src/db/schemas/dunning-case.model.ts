import { Schema, type Types } from 'mongoose';

export type DunningStage = 'none' | 'sms' | 'letter' | 'call' | 'legal';

/** One dunning case per customer and currency while it is open, with its whole history. */
export interface DunningCase {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  currency: string;
  status: 'open' | 'paused' | 'closed';
  stage: DunningStage;
  invoiceIds: Types.ObjectId[];
  amount: number;
  oldestDueAt: Date;
  promiseToPay?: { date: Date; amount: number; recordedAt: Date; agentId?: Types.ObjectId };
  pausedReason?: 'promise' | 'dispute';
  history: Array<{ at: Date; action: string; stage?: DunningStage; outcome?: string; details?: unknown }>;
  /** Steps done, by key "<stage>": the idempotency record of the ladder. */
  stepsDone: string[];
  callAttempts: Date[];
  letterPath?: string;
  legalCaseId?: Types.ObjectId;
  openedAt: Date;
  closedAt?: Date;
  closedReason?: string;
  /** When the scan should look at this case again (the next step, the end of a promise). */
  nextActionAt?: Date;
  /** When the last step was done or skipped: the ladder keeps its spacing from there. */
  lastStepAt?: Date;
  /**
   * A step under way: claimed before its side effect, cleared once the effect is recorded. A
   * marker whose lease ran out is reconciled (was the message sent?) instead of repeated.
   */
  pending?: { key: string; owner: string; startedAt: Date; leaseUntil: Date; to?: string; body?: string };
  /** Text messages sent for this case, with their delivery status. */
  messages: Array<{
    sid: string;
    step: string;
    to: string;
    body: string;
    status: string;
    sentAt: Date;
    errorCode?: string;
    /** The delivery statuses Twilio has reported for it, each once (a replayed report changes nothing). */
    reports?: string[];
  }>;
  /** Balance when the promise to pay was made: the promise is kept when it went down by the amount. */
  balanceAtPromise?: number;
  /** The dispute case opened from a call; the ladder resumes when it is closed. */
  disputeCaseId?: Types.ObjectId;
  /** Collections calls asked for so far (each one a callback). */
  callRounds: number;
  legalSummaryPath?: string;
  /** "<customerId>|<currency>|<n>": the n-th case of this customer and currency (unique). */
  caseKey: string;
}

export const dunningCaseSchema = new Schema<DunningCase>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    currency: { type: String, required: true },
    status: { type: String, enum: ['open', 'paused', 'closed'], default: 'open' },
    stage: { type: String, enum: ['none', 'sms', 'letter', 'call', 'legal'], default: 'none' },
    invoiceIds: { type: [Schema.Types.ObjectId], default: [] },
    amount: { type: Number, required: true },
    oldestDueAt: { type: Date, required: true },
    promiseToPay: { date: Date, amount: Number, recordedAt: Date, agentId: Schema.Types.ObjectId },
    pausedReason: { type: String, enum: ['promise', 'dispute'] },
    history: {
      type: [
        new Schema(
          { at: Date, action: String, stage: String, outcome: String, details: Schema.Types.Mixed },
          { _id: false },
        ),
      ],
      default: [],
    },
    stepsDone: { type: [String], default: [] },
    callAttempts: { type: [Date], default: [] },
    letterPath: String,
    legalCaseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    openedAt: { type: Date, required: true },
    closedAt: Date,
    closedReason: String,
    nextActionAt: Date,
    lastStepAt: Date,
    pending: { key: String, owner: String, startedAt: Date, leaseUntil: Date, to: String, body: String },
    messages: {
      type: [
        new Schema(
          {
            sid: String,
            step: String,
            to: String,
            body: String,
            status: String,
            sentAt: Date,
            errorCode: String,
            reports: { type: [String], default: undefined },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    balanceAtPromise: Number,
    disputeCaseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    callRounds: { type: Number, default: 0 },
    legalSummaryPath: String,
    caseKey: { type: String, required: true },
  },
  { collection: 'dunningcases' },
);
// One live case per customer and currency: a new case is only opened when none is live, and it is
// the n-th case of that customer and currency (`caseKey`, unique and never changed), so two scans
// opening it at once make one. (Not a partial unique index on status, nor a unique key changed on
// closing: the embedded database keeps a document's old entry in a unique index after an update.)
dunningCaseSchema.index({ caseKey: 1 }, { unique: true });
dunningCaseSchema.index({ status: 1, stage: 1 });
dunningCaseSchema.index({ customerId: 1, openedAt: -1 });
// The scan's step queue: live cases whose next look is due.
dunningCaseSchema.index({ status: 1, nextActionAt: 1 });
// Delivery reports find their case by message SID.
dunningCaseSchema.index({ 'messages.sid': 1 }, { sparse: true });
