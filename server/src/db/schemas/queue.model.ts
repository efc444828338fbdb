import { Schema } from 'mongoose';

/** A call queue, configured in the database (admins change it at run time). */
export interface Queue {
  /** The queue's name is its id: calls, callbacks and figures refer to it. */
  _id: string;
  /** Agents need this skill to take the queue's calls. */
  skill: string;
  /** Service level: answered within this many seconds. */
  slaSeconds: number;
  /** After this long in line the caller may press 1 to be called back (0: never offered). */
  callbackAfterSec: number;
  /** How often a waiting caller hears the position and estimated wait. */
  announceEverySec: number;
  /** Dialed numbers (E.164) whose calls go to this queue. */
  numbers: string[];
  /** Calls to numbers of no queue go to the default queue. */
  isDefault: boolean;
  /** Where the queue is listed (wallboard, figures). */
  order: number;
  updatedAt?: Date;
}

export const queueSchema = new Schema<Queue>(
  {
    _id: { type: String, required: true },
    skill: { type: String, required: true },
    slaSeconds: { type: Number, required: true, min: 1 },
    callbackAfterSec: { type: Number, default: 60, min: 0 },
    announceEverySec: { type: Number, default: 30, min: 2 },
    numbers: { type: [String], default: [] },
    isDefault: { type: Boolean, default: false },
    order: { type: Number, default: 100 },
  },
  { collection: 'queues', timestamps: { createdAt: false, updatedAt: true } },
);
