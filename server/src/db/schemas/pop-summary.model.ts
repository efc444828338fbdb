import { Schema, type Types } from 'mongoose';

/** An open invoice as the balance needs it: what is still owed, and from when it is overdue. */
export interface PopDue {
  dueAt: Date;
  open: number;
}

/**
 * What a screen pop shows of one customer, kept up to date by the pop-summary watcher
 * (screen-pop/summaries.ts) and read by id at call time: one read instead of a round of them.
 * `part` is the customer-dependent part of the pop (checked with zod when read); the figures that
 * depend on the moment (overdue amount, oldest overdue days) are computed at read time from `dues`.
 */
export interface PopSummary {
  /** The customer's id. */
  _id: Types.ObjectId;
  /** The build's shape (screen-pop/pop-part.ts): a summary of another shape is rebuilt. */
  version: number;
  /** Raised by every write: the fallback writes only over the revision it saw. */
  rev: number;
  /** The customer document's `updatedAt` the summary was built from (older → rebuilt at call time). */
  customerUpdatedAt: Date | null;
  builtAt: Date;
  part: unknown;
  dues: PopDue[];
}

export const popSummarySchema = new Schema<PopSummary>(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    version: { type: Number, required: true },
    rev: { type: Number, required: true },
    customerUpdatedAt: { type: Date, default: null },
    builtAt: { type: Date, required: true },
    part: { type: Schema.Types.Mixed, required: true },
    dues: { type: [new Schema<PopDue>({ dueAt: Date, open: Number }, { _id: false })], default: [] },
  },
  { collection: 'popsummaries', versionKey: false, minimize: false },
);

/** Where the pop-summary watcher is in the change stream (one document, `_id: 'watcher'`). */
export interface PopSummaryState {
  _id: string;
  /** The change stream's resume token after the last processed batch. */
  token: unknown;
  /**
   * When the watcher last had seen every change (it beats while caught up): summaries are used at
   * call time only while this is recent and the watcher has not stopped.
   */
  at: Date;
  stoppedAt?: Date;
}

export const popSummaryStateSchema = new Schema<PopSummaryState>(
  {
    _id: { type: String, required: true },
    token: { type: Schema.Types.Mixed, required: true },
    at: { type: Date, required: true },
    stoppedAt: Date,
  },
  { collection: 'popsummarystate', versionKey: false },
);
