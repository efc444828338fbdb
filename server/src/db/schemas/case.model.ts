import { Schema, type Types } from 'mongoose';

/** A service ticket (or a legal referral, kind 'legal'). */
export interface Case {
  _id: Types.ObjectId;
  customerId: Types.ObjectId;
  number: string;
  kind: 'service' | 'legal' | 'dispute';
  subject: string;
  status: 'open' | 'pending' | 'closed';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  ownerId?: Types.ObjectId;
  openedAt: Date;
  closedAt?: Date;
  callIds: string[];
  notes: Array<{ at: Date; authorId?: Types.ObjectId; authorName?: string; text: string }>;
}

export const caseSchema = new Schema<Case>(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    number: { type: String, required: true },
    kind: { type: String, enum: ['service', 'legal', 'dispute'], default: 'service' },
    subject: { type: String, required: true, maxlength: 300 },
    status: { type: String, enum: ['open', 'pending', 'closed'], default: 'open' },
    priority: { type: String, enum: ['low', 'normal', 'high', 'urgent'], default: 'normal' },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User' },
    openedAt: { type: Date, required: true },
    closedAt: Date,
    callIds: { type: [String], default: [] },
    notes: {
      type: [
        new Schema({ at: Date, authorId: Schema.Types.ObjectId, authorName: String, text: String }, { _id: false }),
      ],
      default: [],
    },
  },
  { collection: 'cases' },
);
// Pop: a customer's open cases. Legal desk: open cases by kind.
caseSchema.index({ customerId: 1, status: 1, openedAt: -1 });
caseSchema.index({ kind: 1, status: 1, openedAt: -1 });
caseSchema.index({ number: 1 }, { unique: true });
