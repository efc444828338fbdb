import { Schema, type Types } from 'mongoose';

/** Why a session ended. */
export const SESSION_END_REASONS = [
  'logout',
  'ended_by_admin',
  'deactivated',
  'deleted',
  'roles_changed',
  'skills_changed',
  'password_changed',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * A signed-in session: every token names one (`sid`), and a token is good only while its
 * session is open. Ending it (logout, an admin, a change to the user) ends the token at once.
 */
export interface Session {
  /** Random, unguessable: the token's `sid`. */
  _id: string;
  userId: Types.ObjectId;
  createdAt: Date;
  /** When the token signed with it expires; the session is over then whatever else happens. */
  expiresAt: Date;
  endedAt?: Date;
  endReason?: SessionEndReason;
  /** The client that signed in, for the admin's list (address and user agent, shortened). */
  ip?: string;
  userAgent?: string;
}

export const sessionSchema = new Schema<Session>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    endedAt: Date,
    endReason: { type: String, enum: SESSION_END_REASONS },
    ip: String,
    userAgent: String,
  },
  { collection: 'sessions', versionKey: false },
);

// A user's sessions (the admin's list, ending them all), newest last.
sessionSchema.index({ userId: 1, expiresAt: 1 });
