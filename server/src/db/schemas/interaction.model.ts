import { Schema, type Types } from 'mongoose';
import type { Disposition } from '@ringside/shared';

/** One entry of a customer's timeline: a call, a note, an SMS, a letter, an email. */
export interface Interaction {
  _id: Types.ObjectId;
  customerId?: Types.ObjectId;
  type: 'call' | 'note' | 'sms' | 'letter' | 'email';
  direction?: 'inbound' | 'outbound';
  at: Date;
  agentId?: Types.ObjectId;
  agentName?: string;
  callId?: string;
  caseId?: Types.ObjectId;
  summary: string;
  disposition?: Disposition;
  durationSec?: number;
}

export const interactionSchema = new Schema<Interaction>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    type: { type: String, enum: ['call', 'note', 'sms', 'letter', 'email'], required: true },
    direction: { type: String, enum: ['inbound', 'outbound'] },
    at: { type: Date, required: true },
    agentId: { type: Schema.Types.ObjectId, ref: 'User' },
    agentName: String,
    callId: String,
    caseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    summary: { type: String, required: true, maxlength: 10_000 },
    disposition: String,
    durationSec: Number,
  },
  { collection: 'interactions' },
);
// Pop and timeline: a customer's latest interactions.
interactionSchema.index({ customerId: 1, at: -1 });
interactionSchema.index({ callId: 1 }, { sparse: true });
// One entry per provider call (notes about a call carry its callId too, and stay many): a replayed
// webhook cannot add a second. Entries never change type or callId, so the partial filter is safe
// on the embedded database (which keeps an entry an update moves out of a partial index).
interactionSchema.index(
  { callId: 1, type: 1 },
  { unique: true, partialFilterExpression: { type: 'call', callId: { $type: 'string' } }, name: 'one_entry_per_call' },
);
