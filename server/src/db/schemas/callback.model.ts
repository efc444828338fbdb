import { Schema, type Types } from 'mongoose';

/** A promised call back to a customer: exactly once, at the right time, by the right agent. */
export interface Callback {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  phone: string;
  queue: string;
  reason: string;
  source: 'agent' | 'virtual_hold' | 'dunning';
  /** customer + reason + time window: unique, so retries never create a second callback. */
  naturalKey: string;
  /** When it will be called: the requested time, moved into the customer's calling hours. */
  dueAt: Date;
  /** When the customer or agent asked for it. */
  requestedDueAt?: Date;
  windowEnd?: Date;
  personal: boolean;
  requestedBy?: Types.ObjectId;
  assignedTo?: Types.ObjectId;
  /** `holding`: a virtual-hold callback waiting for its place in the queue. */
  status: 'holding' | 'scheduled' | 'offered' | 'dialing' | 'completed' | 'failed' | 'cancelled';
  attempts: Array<{ at: Date; outcome: string; agentId?: Types.ObjectId }>;
  nextAttemptAt?: Date;
  /** Offered to its agent first, then to the whole queue. */
  offerStage?: 'agent' | 'queue';
  offeredAt?: Date;
  /** The outbound call of the attempt under way. */
  provider?: 'twilio' | 'asterisk';
  providerCallId?: string;
  /** When the attempt under way was dialed (by the service clock). */
  dialingAt?: Date;
  /** The dunning case that asked for this call. */
  dunningCaseId?: Types.ObjectId;
  /** The inbound call a virtual-hold callback replaces (it keeps that call's place). */
  callId?: string;
  createdAt: Date;
  updatedAt: Date;
}

export const callbackSchema = new Schema<Callback>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    phone: { type: String, required: true },
    queue: { type: String, required: true },
    reason: { type: String, required: true, maxlength: 200 },
    source: { type: String, enum: ['agent', 'virtual_hold', 'dunning'], required: true },
    naturalKey: { type: String, required: true },
    dueAt: { type: Date, required: true },
    requestedDueAt: Date,
    windowEnd: Date,
    personal: { type: Boolean, default: false },
    requestedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    assignedTo: { type: Schema.Types.ObjectId, ref: 'User' },
    status: {
      type: String,
      enum: ['holding', 'scheduled', 'offered', 'dialing', 'completed', 'failed', 'cancelled'],
      default: 'scheduled',
    },
    attempts: {
      type: [new Schema({ at: Date, outcome: String, agentId: Schema.Types.ObjectId }, { _id: false })],
      default: [],
    },
    nextAttemptAt: Date,
    offerStage: { type: String, enum: ['agent', 'queue'] },
    offeredAt: Date,
    provider: { type: String, enum: ['twilio', 'asterisk'] },
    providerCallId: String,
    dialingAt: Date,
    dunningCaseId: { type: Schema.Types.ObjectId, ref: 'DunningCase' },
    callId: String,
  },
  { timestamps: true, collection: 'callbacks' },
);
callbackSchema.index({ naturalKey: 1 }, { unique: true });
callbackSchema.index({ status: 1, dueAt: 1 });
callbackSchema.index({ assignedTo: 1, status: 1, dueAt: 1 });
callbackSchema.index({ customerId: 1, dueAt: -1 });
callbackSchema.index({ status: 1, offerStage: 1, offeredAt: 1 });
callbackSchema.index({ providerCallId: 1 }, { sparse: true });
callbackSchema.index({ dunningCaseId: 1, dueAt: -1 }, { sparse: true });
