import { Schema } from 'mongoose';

/**
 * How the call path of one web process fares (written by it every 2 s): the jobs slow down or
 * pause while a web process suffers. A process that stopped leaves its last word, which goes stale.
 */
export interface CallPathStatus {
  /** The process's name. */
  _id: string;
  at: Date;
  popP95Ms: number | null;
  loopLagMs: number;
  pops: number;
}

export const callPathStatusSchema = new Schema<CallPathStatus>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    popP95Ms: { type: Number, default: null },
    loopLagMs: { type: Number, required: true },
    pops: { type: Number, required: true },
  },
  { collection: 'callpathstatus', versionKey: false },
);
callPathStatusSchema.index({ at: 1 }, { expireAfterSeconds: 24 * 3600 });
