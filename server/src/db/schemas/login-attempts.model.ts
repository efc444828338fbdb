import { Schema } from 'mongoose';

/** Failed sign-ins counted per key (an account, an address) in a window, shared by every process. */
export interface LoginAttempts {
  /** `account:<email>` or `address:<ip>`. */
  _id: string;
  hits: number;
  /** When the window ends and the count starts again. */
  resetAt: Date;
}

export const loginAttemptsSchema = new Schema<LoginAttempts>(
  {
    _id: { type: String, required: true },
    hits: { type: Number, required: true },
    resetAt: { type: Date, required: true },
  },
  { collection: 'login_attempts', versionKey: false },
);
