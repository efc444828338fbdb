import { Schema, type Types } from 'mongoose';

/** Who read or changed what, when, and from which call. Append-only. */
export interface AuditEntry {
  _id: Types.ObjectId;
  at: Date;
  userId?: Types.ObjectId;
  userName?: string;
  action: string;
  entity: string;
  entityId?: string;
  callId?: string;
  ip?: string;
  details?: unknown;
}

export const auditSchema = new Schema<AuditEntry>(
  {
    at: { type: Date, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User' },
    userName: String,
    action: { type: String, required: true },
    entity: { type: String, required: true },
    entityId: String,
    callId: String,
    ip: String,
    details: Schema.Types.Mixed,
  },
  { collection: 'audit' },
);
auditSchema.index({ entity: 1, entityId: 1, at: -1 });
auditSchema.index({ userId: 1, at: -1 });
auditSchema.index({ at: -1 });
