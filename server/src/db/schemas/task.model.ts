import { Schema, type Types } from 'mongoose';

/** A to-do with a due date, assigned to a user, optionally about a customer or a case. */
export interface Task {
  _id: Types.ObjectId;
  title: string;
  dueAt: Date;
  assigneeId: Types.ObjectId;
  createdBy: Types.ObjectId;
  customerId?: Types.ObjectId;
  caseId?: Types.ObjectId;
  status: 'open' | 'done';
  doneAt?: Date;
  createdAt: Date;
}

export const taskSchema = new Schema<Task>(
  {
    title: { type: String, required: true, maxlength: 300 },
    dueAt: { type: Date, required: true },
    assigneeId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer' },
    caseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    status: { type: String, enum: ['open', 'done'], default: 'open' },
    doneAt: Date,
  },
  { collection: 'tasks', timestamps: { createdAt: true, updatedAt: false } },
);
taskSchema.index({ assigneeId: 1, status: 1, dueAt: 1 });
taskSchema.index({ customerId: 1, dueAt: -1 });
