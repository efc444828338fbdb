import { Schema } from 'mongoose';

/** Counters of one queue for one day (UTC), kept with atomic $inc as calls move: no scans. */
export interface QueueDayStats {
  /** `<queue>:<yyyy-mm-dd>` */
  _id: string;
  queue: string;
  day: string;
  /** Calls that arrived in the queue. */
  offered: number;
  answered: number;
  answeredWithinSla: number;
  abandoned: number;
  /** Accepted → wrapped up, summed over `handled` calls. */
  handleSecSum: number;
  handled: number;
}

export const queueDayStatsSchema = new Schema<QueueDayStats>(
  {
    _id: { type: String, required: true },
    queue: { type: String, required: true },
    day: { type: String, required: true },
    offered: { type: Number, default: 0 },
    answered: { type: Number, default: 0 },
    answeredWithinSla: { type: Number, default: 0 },
    abandoned: { type: Number, default: 0 },
    handleSecSum: { type: Number, default: 0 },
    handled: { type: Number, default: 0 },
  },
  { collection: 'queuestats' },
);
queueDayStatsSchema.index({ day: 1, queue: 1 });
