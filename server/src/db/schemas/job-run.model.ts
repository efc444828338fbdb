import { Schema } from 'mongoose';

/**
 * The current (or last) run of one long job, such as the dunning scan: one document per job, so
 * that a second run asked for while one is under way is refused with the running one's progress.
 * A run whose heartbeat stops (its process died) is taken over after a while.
 */
export interface JobRun {
  /** The job's name, e.g. `dunning:scan`. */
  _id: string;
  runId: string;
  state: 'running' | 'finished' | 'failed';
  /** Which process runs it. */
  by: string;
  startedAt: Date;
  heartbeatAt: Date;
  phase?: string;
  done?: number;
  finishedAt?: Date;
  /** What the run reported (the scan's counts), as JSON. */
  report?: unknown;
  error?: string;
}

export const jobRunSchema = new Schema<JobRun>(
  {
    _id: { type: String, required: true },
    runId: { type: String, required: true },
    state: { type: String, required: true },
    by: { type: String, required: true },
    startedAt: { type: Date, required: true },
    heartbeatAt: { type: Date, required: true },
    phase: String,
    done: Number,
    finishedAt: Date,
    report: Schema.Types.Mixed,
    error: String,
  },
  { collection: 'jobruns', versionKey: false, minimize: false },
);
