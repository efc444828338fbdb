import { Schema, type Types } from 'mongoose';
import { ROLES, type AgentStatus, type Role } from '@ringside/shared';

/** Users of the console: agents, supervisors, legal and admins. Agents also carry routing state. */
export interface User {
  _id: Types.ObjectId;
  email: string;
  name: string;
  passwordHash: string;
  roles: Role[];
  skills: string[];
  /** Where to ring this agent, per provider. */
  endpoints: { twilio?: string; asterisk?: string };
  state: { status: AgentStatus; since: Date; reason?: string; callId?: string };
  /** When the agent last became idle: routing prefers the longest-idle agent. */
  idleSince?: Date;
  /**
   * Whether a console of this agent is connected (presence, written by presence only): only a
   * connected console is offered calls. `token` is new with every connection, so that a "gone"
   * decided on an older connection never undoes a newer one; `lostAt` is when the last console went.
   */
  console?: { connected: boolean; token: string; since: Date; lostAt?: Date };
  active: boolean;
  /** Deleted by an admin: kept for the records that name the user, never signs in or lists again. */
  deletedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const userSchema = new Schema<User>(
  {
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    passwordHash: { type: String, required: true },
    roles: { type: [String], enum: ROLES, required: true, validate: (v: string[]) => v.length > 0 },
    skills: { type: [String], default: [] },
    endpoints: { twilio: String, asterisk: String },
    state: {
      status: { type: String, required: true, default: 'offline' },
      since: { type: Date, required: true, default: () => new Date() },
      reason: String,
      callId: String,
    },
    idleSince: Date,
    console: { connected: Boolean, token: String, since: Date, lostAt: Date },
    active: { type: Boolean, default: true },
    deletedAt: Date,
  },
  { timestamps: true, collection: 'users' },
);

userSchema.index({ email: 1 }, { unique: true });
// Routing: available agents with a skill, longest idle first.
userSchema.index({ 'state.status': 1, skills: 1, idleSince: 1 });
userSchema.index({ roles: 1 });
