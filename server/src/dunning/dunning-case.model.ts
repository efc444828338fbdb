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
      type: [new Schema({ at: Date, action: String, stage: String, outcome: String, details: Schema.Types.Mixed }, { _id: false })],
      default: [],
    },
    stepsDone: { type: [String], default: [] },
    callAttempts: { type: [Date], default: [] },
    letterPath: String,
    legalCaseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    openedAt: { type: Date, required: true },
    closedAt: Date,
    closedReason: String,
  },
  { collection: 'dunningcases' },
);
// One live case per customer and currency.
dunningCaseSchema.index(
  { customerId: 1, currency: 1 },
  { unique: true, partialFilterExpression: { status: { $in: ['open', 'paused'] } } },
);
dunningCaseSchema.index({ status: 1, stage: 1 });
dunningCaseSchema.index({ customerId: 1, openedAt: -1 });
