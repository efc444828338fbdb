import { Schema, type Types } from 'mongoose';
import type { ScreenPop } from '@ringside/shared';

export type CallState =
  'queued' | 'routing' | 'offered' | 'connecting' | 'connected' | 'wrap_up' | 'ended' | 'abandoned';

/** States of a call whose caller is (as far as we know) still on the line. */
export const LIVE_CALL_STATES = [
  'queued',
  'routing',
  'offered',
  'connecting',
  'connected',
] as const satisfies readonly CallState[];

/** One call, from the provider's first event to the agent's wrap-up; its pop is stored with it. */
export interface Call {
  /** The provider's call id (Twilio CallSid, ARI channel id). */
  _id: string;
  provider: 'twilio' | 'asterisk';
  direction: 'inbound' | 'outbound';
  from: string;
  fromE164: string | null;
  to: string;
  receivedAt: Date;
  /** Monotonic per process: breaks receivedAt ties so arrival order is total. */
  seq: number;
  state: CallState;
  queue: string;
  skill: string;
  customerId?: Types.ObjectId;
  ownerId?: Types.ObjectId;
  match: 'unique' | 'multiple' | 'none';
  pop: ScreenPop;
  popBuiltMs: number;
  agentId?: Types.ObjectId;
  /** Why this agent: owner / longest idle with the skill. */
  routingReason?: string;
  offeredAt?: Date;
  offerAckedAt?: Date;
  /** Agents this call was offered to and did not take. */
  passedBy: Types.ObjectId[];
  offers: Array<{ agentId: Types.ObjectId; at: Date; reason: string; outcome?: string }>;
  /** Provider status, only ever moving forward (rank). */
  providerStatus: string;
  providerRank: number;
  /**
   * The last time the provider showed the call was going on: its first event, any later one, or its
   * answer to the reconciler (calls/reconcile.ts). Absent on calls stored before it was recorded.
   */
  providerSeenAt?: Date;
  acceptedAt?: Date;
  connectedAt?: Date;
  endedAt?: Date;
  endReason?: string;
  interactionId?: Types.ObjectId;
  disposition?: string;
  /** The caller pressed 1 to be called back: the call keeps its place, the callback is dialed when it is its turn. */
  virtualHold?: { at: Date; callbackId: Types.ObjectId; phone: string };
}

export const callSchema = new Schema<Call>(
  {
    _id: { type: String, required: true },
    provider: { type: String, enum: ['twilio', 'asterisk'], required: true },
    direction: { type: String, enum: ['inbound', 'outbound'], default: 'inbound' },
    from: { type: String, default: '' },
    fromE164: { type: String, default: null },
    to: { type: String, default: '' },
    receivedAt: { type: Date, required: true },
    seq: { type: Number, required: true },
    state: { type: String, required: true },
    queue: { type: String, required: true },
    skill: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User' },
    match: { type: String, enum: ['unique', 'multiple', 'none'], required: true },
    pop: { type: Schema.Types.Mixed, required: true },
    popBuiltMs: Number,
    agentId: { type: Schema.Types.ObjectId, ref: 'User' },
    routingReason: String,
    offeredAt: Date,
    offerAckedAt: Date,
    passedBy: { type: [Schema.Types.ObjectId], default: [] },
    offers: {
      type: [new Schema({ agentId: Schema.Types.ObjectId, at: Date, reason: String, outcome: String }, { _id: false })],
      default: [],
    },
    providerStatus: { type: String, default: 'ringing' },
    providerRank: { type: Number, default: 0 },
    providerSeenAt: Date,
    acceptedAt: Date,
    connectedAt: Date,
    endedAt: Date,
    endReason: String,
    interactionId: { type: Schema.Types.ObjectId, ref: 'Interaction' },
    disposition: String,
    virtualHold: {
      type: new Schema({ at: Date, callbackId: Schema.Types.ObjectId, phone: String }, { _id: false }),
      default: undefined,
    },
  },
  { collection: 'calls', minimize: false },
);
// Queue: waiting calls in arrival order. Replay: calls offered to an agent.
callSchema.index({ state: 1, queue: 1, receivedAt: 1, seq: 1 });
callSchema.index({ agentId: 1, state: 1 });
callSchema.index({ customerId: 1, receivedAt: -1 });
// Reconciliation: live calls the provider has been quiet about for a while.
callSchema.index({ state: 1, providerSeenAt: 1 });

/** Remembers which customer an agent chose for a number shared by several. */
export interface CallerChoice {
  _id: string;
  customerId: Types.ObjectId;
  chosenBy?: Types.ObjectId;
  at: Date;
}

export const callerChoiceSchema = new Schema<CallerChoice>(
  {
    _id: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    chosenBy: { type: Schema.Types.ObjectId, ref: 'User' },
    at: { type: Date, required: true },
  },
  { collection: 'callerchoices' },
);
