import { Schema } from 'mongoose';
import type { SupervisorAlert as Shape } from '@ringside/shared';

/**
 * An alert raised for supervisors. Its id is its kind and the minute it was raised in, so that
 * several server processes noticing the same thing raise it once. Kept for a week.
 */
export interface SupervisorAlert {
  /** `<kind>:<minute as ISO>` */
  _id: string;
  kind: Shape['kind'];
  at: Date;
  count: number;
  windowSec: number;
  agents?: { agentId: string; name: string }[];
  lateMs?: number;
}

export const supervisorAlertSchema = new Schema<SupervisorAlert>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
    count: { type: Number, required: true },
    windowSec: { type: Number, required: true },
    agents: { type: [{ _id: false, agentId: String, name: String }], default: undefined },
    lateMs: Number,
  },
  { collection: 'supervisoralerts', versionKey: false },
);
supervisorAlertSchema.index({ at: 1 }, { expireAfterSeconds: 7 * 24 * 3600 });
